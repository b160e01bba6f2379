"""WTForms fields for questionnaire answers (kept here for importers; defined beside the
question types that use them, in :mod:`assessment_engine.questionnaires.types.answer_fields`)."""

from __future__ import annotations

from ..questionnaires.types.answer_fields import (
    ISO_DATE,
    MAX_NUMBER_TEXT,
    NUMBER,
    AnswerField,
    ChoiceAnswerField,
    DateAnswerField,
    GroupField,
    MultiChoiceAnswerField,
    NumberAnswerField,
    RepeatField,
    TextAnswerField,
    coerce_unknown,
    encode_value,
    none_code_for,
    options_json_type,
)

__all__ = [
    "ISO_DATE",
    "MAX_NUMBER_TEXT",
    "NUMBER",
    "AnswerField",
    "ChoiceAnswerField",
    "DateAnswerField",
    "GroupField",
    "MultiChoiceAnswerField",
    "NumberAnswerField",
    "RepeatField",
    "TextAnswerField",
    "coerce_unknown",
    "encode_value",
    "none_code_for",
    "options_json_type",
]
