"""An example question type from outside the package: a UK postcode.

A question is one when its schema is ``{"type": "string", "format": "uk-postcode"}``; it is
asked in a short input that browsers fill from the address book, and shown in capitals. The
test in ``tests/questionnaires/test_question_type_plugin.py`` installs it the way a partner's
package would: a distribution whose ``entry_points.txt`` names this class under
``assessment_engine.question_types``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from markupsafe import Markup

from assessment_engine.questionnaires.structure import Question
from assessment_engine.questionnaires.types.answer_fields import TextAnswerField
from assessment_engine.questionnaires.types.base import QuestionKind
from assessment_engine.questionnaires.types.params import input_params


class Postcode(QuestionKind):
    name: ClassVar[str] = "postcode"
    label: ClassVar[str] = "UK postcode"
    keywords: ClassVar[frozenset[str]] = frozenset({"type", "format", "maxLength", "pattern"})

    def claims(self, schema: Mapping[str, Any]) -> bool:
        return schema.get("type") == "string" and schema.get("format") == "uk-postcode"

    def missing(self, question: Question) -> str:
        return "Enter a postcode"

    def field(self, question: Question) -> Any:
        return TextAnswerField(question.title, question=question)

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        params = input_params(field, question, identifier, hint, error)
        params["autocomplete"] = "postal-code"
        params["classes"] = "govuk-input--width-10"
        return {"macro": "input", "params": params}

    def words(self, question: Question, value: Any) -> str | Markup:
        return str(value).upper()
