"""What a page shows but nobody answers: a calculated value (``x-calculated``, ``readOnly``)
and a block of guidance (``x-widget: guidance``, ``not: {}``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..model import Calculation, Question
from .base import QuestionKind

if TYPE_CHECKING:
    from ..structure import Place, Reader


class Calculated(QuestionKind):
    name: ClassVar[str] = "calculated"
    label: ClassVar[str] = "Calculated value"
    keywords: ClassVar[frozenset[str]] = frozenset(
        {"type", "readOnly", "x-calculated", "minimum", "maximum"}
    )
    takes_answer: ClassVar[bool] = False
    item_kind: ClassVar[str | None] = "calculated"
    fhir_type: ClassVar[str] = "decimal"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ()

    def read(
        self, reader: Reader, schema: Mapping[str, Any], common: dict[str, Any], place: Place
    ) -> Question | None:
        calc: Any = schema.get("x-calculated")  # checked by the meta-schema before reading
        if schema.get("readOnly") is not True:
            reader.problem(place, 'a calculated value must say "readOnly": true')
        return Question(
            **common,
            minimum=_number(schema.get("minimum")),
            maximum=_number(schema.get("maximum")),
            calculation=Calculation(str(calc["operation"]), tuple(calc["of"])),
        )

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        return None


class Guidance(QuestionKind):
    name: ClassVar[str] = "guidance"
    label: ClassVar[str] = "Guidance (no answer)"
    keywords: ClassVar[frozenset[str]] = frozenset({"x-widget", "not"})
    widgets: ClassVar[frozenset[str]] = frozenset({"guidance"})
    default_widget: ClassVar[str | None] = "guidance"
    takes_answer: ClassVar[bool] = False
    item_kind: ClassVar[str | None] = None
    fhir_type: ClassVar[str] = "display"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ()

    def read(
        self, reader: Reader, schema: Mapping[str, Any], common: dict[str, Any], place: Place
    ) -> Question | None:
        if schema.get("not") != {}:
            reader.problem(place, 'guidance must say "not": {} so that it takes no answer')
        return Question(**common)

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value
