"""Number questions: a whole number (``type: integer``) or any number (``type: number``)."""

from __future__ import annotations

from typing import Any, ClassVar

from markupsafe import Markup

from ..model import Question
from .answer_fields import NumberAnswerField
from .base import QuestionKind
from .fhir_names import MAX_VALUE, MIN_VALUE
from .params import input_params
from .words import number_words


class Integer(QuestionKind):
    name: ClassVar[str] = "integer"
    label: ClassVar[str] = "Whole number"
    keywords: ClassVar[frozenset[str]] = frozenset(
        {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
        | {"x-widget", "x-suffix"}
    )
    widgets: ClassVar[frozenset[str]] = frozenset({"number"})
    default_widget: ClassVar[str | None] = "number"
    item_kind: ClassVar[str | None] = "integer"
    fhir_type: ClassVar[str] = "integer"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ("valueInteger",)
    #: Whole numbers only; the keyboard a phone offers.
    integer: ClassVar[bool] = True
    inputmode: ClassVar[str] = "numeric"

    def missing(self, question: Question) -> str:
        return "Enter a number"

    def field(self, question: Question) -> Any:
        return NumberAnswerField(question.title, integer=self.integer, question=question)

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        params = input_params(field, question, identifier, hint, error)
        params["inputmode"] = self.inputmode
        params["spellcheck"] = False
        params["classes"] = "govuk-input--width-5"
        return {"macro": "input", "params": params}

    def condition_type(self, question: Question) -> str:
        return "integer"

    def words(self, question: Question, value: Any) -> str | Markup:
        return number_words(value, question.suffix)

    def fhir_value(self, question: Question, value: Any) -> dict[str, Any]:
        return {"valueInteger": value}

    def fhir_item(self, question: Question, item: dict[str, Any]) -> list[dict[str, Any]]:
        value_key = self.fhir_value_keys[0]
        extensions = []
        if question.minimum is not None:
            extensions.append({"url": MIN_VALUE, value_key: question.minimum})
        if question.maximum is not None:
            extensions.append({"url": MAX_VALUE, value_key: question.maximum})
        return extensions

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return "answerInteger", value
        return None


class Decimal(Integer):
    name: ClassVar[str] = "decimal"
    label: ClassVar[str] = "Number"
    item_kind: ClassVar[str | None] = "number"
    fhir_type: ClassVar[str] = "decimal"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ("valueDecimal", "valueInteger")
    integer: ClassVar[bool] = False
    inputmode: ClassVar[str] = "decimal"

    def condition_type(self, question: Question) -> str:
        return "number"

    def fhir_value(self, question: Question, value: Any) -> dict[str, Any]:
        return {"valueDecimal": value}

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return "answerDecimal", value
        return None
