"""What the scoring engine needs to know about each question, derived from the question model."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..scoring.items import ItemSpec
from .structure import Question, QuestionType, Structure

#: The scoring engine's kind for each question type (guidance has none: it takes no answer).
ITEM_KINDS: Mapping[QuestionType, str] = MappingProxyType(
    {
        QuestionType.SECTION: "group",
        QuestionType.GROUP: "group",
        QuestionType.SHORT_TEXT: "string",
        QuestionType.LONG_TEXT: "text",
        QuestionType.INTEGER: "integer",
        QuestionType.DECIMAL: "number",
        QuestionType.DATE: "date",
        QuestionType.YES_NO: "boolean",
        QuestionType.SINGLE_CHOICE: "choice",
        QuestionType.SELECT: "choice",
        QuestionType.SCORED: "choice",
        QuestionType.MULTIPLE_CHOICE: "multichoice",
        QuestionType.REPEATING_GROUP: "repeat",
        QuestionType.CALCULATED: "calculated",
    }
)


def item_spec(question: Question) -> ItemSpec:
    """The scoring engine's view of one question."""
    labels = {option.value: option.label for option in question.options} or None
    return ItemSpec(
        pointer=question.pointer,
        kind=ITEM_KINDS[question.type],
        scores=question.scores,
        required=question.required,
        title=question.title,
        labels=MappingProxyType(labels) if labels else None,
    )


def item_specs(structure: Structure) -> dict[str, ItemSpec]:
    """Every answerable or calculated question by pointer (repeat items use ``*``), in order."""
    return {
        question.pointer: item_spec(question)
        for question in structure
        if question.type is not QuestionType.GUIDANCE
    }
