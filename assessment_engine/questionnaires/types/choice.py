"""Questions answered by choosing: yes or no, one of several options (radios, a drop-down, or
scored radios) and any number of options (checkboxes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from markupsafe import Markup

from ..model import Question
from .answer_fields import (
    ChoiceAnswerField,
    MultiChoiceAnswerField,
    encode_value,
    none_code_for,
    options_json_type,
)
from .base import QuestionKind
from .fhir_names import item_control
from .params import LABEL, choice_params, option_item
from .words import lines

if TYPE_CHECKING:
    from ..structure import Place, Reader

#: The words of the checkbox that answers "none of these".
NONE_LABEL = "None of these"


class YesNo(QuestionKind):
    name: ClassVar[str] = "yes_no"
    label: ClassVar[str] = "Yes or no"
    widgets: ClassVar[frozenset[str]] = frozenset({"yesno", "radios"})
    default_widget: ClassVar[str | None] = "yesno"
    item_kind: ClassVar[str | None] = "boolean"
    fhir_type: ClassVar[str] = "boolean"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ("valueBoolean",)

    def field(self, question: Question) -> Any:
        codes = {"true": True, "false": False}
        return ChoiceAnswerField(
            question.title, codes=codes, json_type="boolean", question=question
        )

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        items = [option_item(field, True, "Yes"), option_item(field, False, "No")]
        params = choice_params(field, question, hint, error, items)
        params["classes"] = "govuk-radios--inline"
        return {"macro": "radios", "params": params}

    def condition_type(self, question: Question) -> str:
        return "boolean"

    def words(self, question: Question, value: Any) -> str | Markup:
        return "Yes" if value is True else "No" if value is False else str(value)

    def fhir_value(self, question: Question, value: Any) -> dict[str, Any]:
        return {"valueBoolean": bool(value)}

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        return ("answerBoolean", value) if isinstance(value, bool) else None


class SingleChoice(QuestionKind):
    """One of ``oneOf``'s ``{"const", "title"}`` options, as radios."""

    name: ClassVar[str] = "single_choice"
    label: ClassVar[str] = "One choice (radios)"
    keywords: ClassVar[frozenset[str]] = frozenset({"type", "oneOf", "x-widget"})
    widgets: ClassVar[frozenset[str]] = frozenset({"radios"})
    default_widget: ClassVar[str | None] = "radios"
    is_choice: ClassVar[bool] = True
    item_kind: ClassVar[str | None] = "choice"
    fhir_type: ClassVar[str] = "choice"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ()

    def read(
        self, reader: Reader, schema: Mapping[str, Any], common: dict[str, Any], place: Place
    ) -> Question | None:
        return Question(**common, options=reader.options(schema, place))

    def field(self, question: Question) -> Any:
        codes = {encode_value(option.value): option.value for option in question.options}
        return ChoiceAnswerField(
            question.title,
            codes=codes,
            json_type=options_json_type(question),
            question=question,
        )

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        items = [option_item(field, o.value, o.label, o.hint) for o in question.options]
        return {"macro": "radios", "params": choice_params(field, question, hint, error, items)}

    def condition_type(self, question: Question) -> str:
        return options_json_type(question)

    def words(self, question: Question, value: Any) -> str | Markup:
        option = question.option(value)
        return option.label if option is not None else str(value)

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        return None  # options are compared as codings


class Select(SingleChoice):
    """One of the options, from a drop-down list (``x-widget: select``)."""

    name: ClassVar[str] = "select"
    label: ClassVar[str] = "One choice (drop-down)"
    widgets: ClassVar[frozenset[str]] = frozenset({"select"})
    default_widget: ClassVar[str | None] = "select"

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        items = [{"value": "", "text": "Select an option", "selected": False}]
        for option in question.options:
            item = option_item(field, option.value, option.label)
            items.append(
                {"value": item["value"], "text": option.label, "selected": item["checked"]}
            )
        if not any(item["selected"] for item in items):
            items[0]["selected"] = True
        params = {
            "id": field.id,
            "name": field.name,
            "label": {"text": question.title, "classes": LABEL},
            "hint": hint,
            "errorMessage": error,
            "items": items,
        }
        return {"macro": "select", "params": params}

    def fhir_item(self, question: Question, item: dict[str, Any]) -> list[dict[str, Any]]:
        return [item_control("drop-down")]


class Scored(SingleChoice):
    """Radios whose options carry ``x-score`` (a PHQ-9 item, say)."""

    name: ClassVar[str] = "scored"
    label: ClassVar[str] = "Scored choice"


class MultipleChoice(QuestionKind):
    """Any of the options (an array of them with ``uniqueItems``), as checkboxes."""

    name: ClassVar[str] = "multiple_choice"
    label: ClassVar[str] = "Several choices (checkboxes)"
    keywords: ClassVar[frozenset[str]] = frozenset(
        {"type", "items", "uniqueItems", "minItems", "maxItems", "x-widget"}
    )
    widgets: ClassVar[frozenset[str]] = frozenset({"checkboxes"})
    default_widget: ClassVar[str | None] = "checkboxes"
    item_kind: ClassVar[str | None] = "multichoice"
    fhir_type: ClassVar[str] = "choice"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ()

    def read(
        self, reader: Reader, schema: Mapping[str, Any], common: dict[str, Any], place: Place
    ) -> Question | None:
        if schema.get("uniqueItems") is not True:
            reader.problem(place, 'a multiple choice needs "uniqueItems": true')
        items = reader.follow(schema["items"], place.child("items"))
        if items is None:
            return None
        item_schema, item_place = items
        for key in sorted(set(item_schema) - {"type", "oneOf", "$comment"}):
            reader.problem(item_place, f"{key} is not supported in a multiple choice's items", key)
        options = reader.options(item_schema, item_place)
        return Question(
            **common,
            options=options,
            min_items=_int(schema.get("minItems")),
            max_items=_int(schema.get("maxItems")),
        )

    def field(self, question: Question) -> Any:
        codes = {encode_value(option.value): option.value for option in question.options}
        return MultiChoiceAnswerField(
            question.title,
            codes=codes,
            json_type=options_json_type(question),
            none_code=none_code_for(question),
            question=question,
        )

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        items: list[dict[str, Any]] = [
            option_item(field, option.value, option.label, option.hint)
            for option in question.options
        ]
        if field.none_code is not None:
            items += [
                {"divider": "or"},
                {
                    "value": field.none_code,
                    "text": NONE_LABEL,
                    "checked": field.is_selected(field.none_code),
                    "behaviour": "exclusive",
                },
            ]
        return {
            "macro": "checkboxes",
            "params": choice_params(field, question, hint, error, items),
        }

    def condition_type(self, question: Question) -> str:
        return "array"

    def fhir_item(self, question: Question, item: dict[str, Any]) -> list[dict[str, Any]]:
        if question.options:
            item["repeats"] = True
        return []

    def words(self, question: Question, value: Any) -> str | Markup:
        if not isinstance(value, list):
            return str(value)
        if not value:
            return NONE_LABEL
        labels = []
        for item in value:
            option = question.option(item)
            labels.append(option.label if option is not None else str(item))
        return lines(labels)

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
