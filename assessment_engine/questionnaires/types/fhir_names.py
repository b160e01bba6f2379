"""The HL7 extensions the question types use in a FHIR Questionnaire item (defined here, below
the types; :mod:`..fhir.common` names them for the export and import too)."""

from __future__ import annotations

from typing import Any

ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


def item_control(code: str) -> dict[str, Any]:
    """The ``questionnaire-itemControl`` extension saying how an item is shown."""
    return {
        "url": ITEM_CONTROL,
        "valueCodeableConcept": {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": code}]},
    }
