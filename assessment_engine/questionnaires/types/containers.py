"""What holds questions: a section (the root's properties), a nested group (``type: object``)
and a repeating group (an array of objects, one set of answers per item). The reader and the
form builder walk their children; these classes say how each reads and what it is called."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..model import EACH_ITEM, Question
from .base import ANNOTATIONS, OBJECT_KEYWORDS, QuestionKind

if TYPE_CHECKING:
    from ..structure import Place, Reader


class Group(QuestionKind):
    name: ClassVar[str] = "group"
    label: ClassVar[str] = "Group of questions"
    keywords: ClassVar[frozenset[str]] = OBJECT_KEYWORDS
    item_kind: ClassVar[str | None] = "group"
    fhir_type: ClassVar[str] = "group"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ()

    def read(
        self, reader: Reader, schema: Mapping[str, Any], common: dict[str, Any], place: Place
    ) -> Question | None:
        min_answers = schema.get("minProperties")
        return Question(
            **common,
            children=reader.children(schema, common["pointer"], place),
            min_answers=min_answers
            if isinstance(min_answers, int) and not isinstance(min_answers, bool)
            else None,
        )

    def missing(self, question: Question) -> str:
        return "Answer these questions"

    def condition_type(self, question: Question) -> str:
        return "object"

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        return None


class Section(Group):
    name: ClassVar[str] = "section"
    label: ClassVar[str] = "Section"

    def missing(self, question: Question) -> str:
        return f"Complete the section \u2018{question.title}\u2019"

    def condition_type(self, question: Question) -> str:
        return "string"


class RepeatingGroup(QuestionKind):
    name: ClassVar[str] = "repeating_group"
    label: ClassVar[str] = "Repeating group"
    keywords: ClassVar[frozenset[str]] = frozenset(
        {"type", "items", "minItems", "maxItems", "x-item-label"}
    )
    item_kind: ClassVar[str | None] = "repeat"
    fhir_type: ClassVar[str] = "group"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ()

    def read(
        self, reader: Reader, schema: Mapping[str, Any], common: dict[str, Any], place: Place
    ) -> Question | None:
        items = reader.follow(schema["items"], place.child("items"))
        if items is None:
            return None
        item_schema, item_place = items
        if item_schema.get("type") != "object":
            reader.problem(item_place, "each item of a repeating group must be an object")
            return None
        for key in sorted(set(item_schema) - OBJECT_KEYWORDS - ANNOTATIONS - {"$defs"}):
            reader.problem(item_place, reader.unsupported(key, Group.name), key)
        children = reader.children(item_schema, f"{common['pointer']}/{EACH_ITEM}", item_place)
        label = schema.get("x-item-label")
        return Question(
            **common,
            children=children,
            min_items=_int(schema.get("minItems")),
            max_items=_int(schema.get("maxItems")),
            item_label=label if isinstance(label, str) else None,
        )

    def missing(self, question: Question) -> str:
        return "Add an item, or say there are none"

    def condition_type(self, question: Question) -> str:
        return "list"

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
