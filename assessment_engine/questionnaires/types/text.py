"""Text questions: a short line (``type: string``) or a long answer (``x-widget: textarea``)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..model import Question
from .answer_fields import TextAnswerField
from .base import QuestionKind
from .params import input_params


class ShortText(QuestionKind):
    name: ClassVar[str] = "short_text"
    label: ClassVar[str] = "Short text"
    keywords: ClassVar[frozenset[str]] = frozenset(
        {"type", "minLength", "maxLength", "pattern", "x-widget", "x-suffix"}
    )
    widgets: ClassVar[frozenset[str]] = frozenset({"text"})
    default_widget: ClassVar[str | None] = "text"

    def missing(self, question: Question) -> str:
        return "Enter an answer"

    def field(self, question: Question) -> Any:
        return TextAnswerField(question.title, question=question)

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        params = input_params(field, question, identifier, hint, error)
        if question.max_length and question.max_length <= 20:
            params["classes"] = "govuk-input--width-20"
        return {"macro": "input", "params": params}


class LongText(ShortText):
    name: ClassVar[str] = "long_text"
    label: ClassVar[str] = "Long text"
    keywords: ClassVar[frozenset[str]] = frozenset(
        {"type", "minLength", "maxLength", "pattern", "x-widget"}
    )
    widgets: ClassVar[frozenset[str]] = frozenset({"textarea"})
    default_widget: ClassVar[str | None] = "textarea"
    item_kind: ClassVar[str | None] = "text"
    fhir_type: ClassVar[str] = "text"

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        params = input_params(field, question, identifier, hint, error)
        params["rows"] = 5
        if question.max_length:
            params["maxlength"] = question.max_length
            return {"macro": "character_count", "params": params}
        return {"macro": "textarea", "params": params}
