"""A date (``type: string``, ``format: date``), asked as day, month and year boxes."""

from __future__ import annotations

from typing import Any, ClassVar

from markupsafe import Markup

from ..model import Question
from .answer_fields import DateAnswerField
from .base import QuestionKind
from .params import LEGEND
from .words import uk_date


class Date(QuestionKind):
    name: ClassVar[str] = "date"
    label: ClassVar[str] = "Date"
    keywords: ClassVar[frozenset[str]] = frozenset({"type", "format", "x-widget", "x-not-after"})
    widgets: ClassVar[frozenset[str]] = frozenset({"date"})
    default_widget: ClassVar[str | None] = "date"
    item_kind: ClassVar[str | None] = "date"
    fhir_type: ClassVar[str] = "date"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ("valueDate",)

    def missing(self, question: Question) -> str:
        return "Enter a date"

    def field(self, question: Question) -> Any:
        # The label is only used in messages ("The date must include a month").
        return DateAnswerField("The date", question=question)

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        day, month, year = field.parts()
        classes = " govuk-input--error" if error else ""
        return {
            "macro": "date",
            "params": {
                "id": identifier,
                "fieldset": {"legend": {"text": question.title, "classes": LEGEND}},
                "hint": hint,
                "errorMessage": error,
                "items": [
                    {
                        "name": field.name,
                        "id": f"{identifier}-{part}",
                        "label": label,
                        "classes": width + classes,
                        "value": value,
                    }
                    for part, label, width, value in (
                        ("day", "Day", "govuk-input--width-2", day),
                        ("month", "Month", "govuk-input--width-2", month),
                        ("year", "Year", "govuk-input--width-4", year),
                    )
                ],
            },
        }

    def first_input(self, identifier: str, field: Any) -> str:
        """The day box; or, once something was typed, the first box left empty."""
        part = "day"
        if isinstance(field, DateAnswerField) and field.raw_data:
            parts = [*field.raw_data, "", "", ""][:3]
            if any(parts):
                part = next(
                    (
                        name
                        for name, v in zip(("day", "month", "year"), parts, strict=True)
                        if not v
                    ),
                    "day",
                )
        return f"{identifier}-{part}"

    def words(self, question: Question, value: Any) -> str | Markup:
        return uk_date(value)

    def fhir_value(self, question: Question, value: Any) -> dict[str, Any]:
        return {"valueDate": value}

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        return ("answerDate", value) if isinstance(value, str) else None
