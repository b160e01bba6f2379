"""What the scoring engine needs to know about each question, derived from the question model."""

from __future__ import annotations

from types import MappingProxyType

from ..scoring.items import ItemSpec
from .structure import Question, Structure, kind_of


def item_spec(question: Question) -> ItemSpec:
    """The scoring engine's view of one question."""
    labels = {option.value: option.label for option in question.options} or None
    return ItemSpec(
        pointer=question.pointer,
        kind=_item_kind(question),
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
        if kind_of(question).item_kind is not None
    }


def _item_kind(question: Question) -> str:
    """The scoring engine's kind of item, which the question's type declares."""
    kind = kind_of(question).item_kind
    if kind is None:
        raise KeyError(question.type.value)
    return kind
