"""Names and small pieces shared by the FHIR export and import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..documents import BASE_URI
from ..structure import Question
from ..types.fhir_names import ITEM_CONTROL, ITEM_CONTROL_SYSTEM, MAX_VALUE, MIN_VALUE

__all__ = ["ITEM_CONTROL", "ITEM_CONTROL_SYSTEM", "MAX_VALUE", "MIN_VALUE"]

#: Scotland's Community Health Index number.
CHI_SYSTEM = "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
#: R4's answer score extension, and SDC's later name for the same idea.
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
#: Our own extensions, so that an export imports back as the same questionnaire: the rules
#: (JSON), a calculated value's x-calculated (JSON) and the type of coded option values.
RULES_EXTENSION = f"{BASE_URI}fhir/rules"
CALCULATED_EXTENSION = f"{BASE_URI}fhir/calculated"
OPTION_TYPE_EXTENSION = f"{BASE_URI}fhir/option-type"


@dataclass(frozen=True, slots=True)
class ImportNote:
    """Something in a FHIR resource that could not be represented, by linkId (None: the
    resource itself)."""

    link_id: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"linkId": self.link_id, "message": self.message}


def canonical_url(key: str) -> str:
    """The canonical URL of a questionnaire (its versions share it; ``version`` tells them
    apart)."""
    return f"{BASE_URI}{key}"


def parse_canonical(reference: str) -> tuple[str | None, int | None]:
    """``<our url>|<version>`` to (key, version); (None, None) when it is not one of ours."""
    url, _bar, version = reference.partition("|")
    if not url.startswith(BASE_URI):
        return None, None
    key = url[len(BASE_URI) :]
    if not key or "/" in key:
        return None, None
    if not version.isdigit():
        return key, None
    return key, int(version)


def option_system(key: str, version: int, question: Question) -> str:
    """A code system per question: the options' codes mean something only for that question."""
    return f"{canonical_url(key)}/v{version}/options{question.pointer}"


def option_code(value: Any) -> str:
    """An option's value as a FHIR code (booleans never occur: they are yes/no questions)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
