"""Parameters of the GOV.UK Frontend macros that several question types share.

Everything written by questionnaire authors goes in ``text`` parameters, which the markup
renders escaped; nothing here builds HTML.
"""

from __future__ import annotations

from typing import Any

from ..model import Question
from .answer_fields import encode_value

LABEL = "govuk-label--s"
LEGEND = "govuk-fieldset__legend--s"


def option_item(field: Any, value: Any, label: str, hint: str | None = None) -> dict[str, Any]:
    """One radio or checkbox: its posted code, its words and whether it is chosen."""
    code = encode_value(value)
    item: dict[str, Any] = {"value": code, "text": label, "checked": field.is_selected(code)}
    if hint:
        item["hint"] = {"text": hint}
    return item


def choice_params(
    field: Any, question: Question, hint: Any, error: Any, items: list[dict[str, Any]]
) -> dict[str, Any]:
    """``govukRadios``/``govukCheckboxes`` parameters: the question is the fieldset's legend."""
    return {
        "idPrefix": field.id,
        "name": field.name,
        "fieldset": {"legend": {"text": question.title, "classes": LEGEND}},
        "hint": hint,
        "errorMessage": error,
        "items": items,
    }


def input_params(
    field: Any, question: Question, identifier: str, hint: Any, error: Any
) -> dict[str, Any]:
    """``govukInput``/``govukTextarea`` parameters: the question is the label (and its
    ``x-suffix``, which only short text and numbers may have, follows the box)."""
    params: dict[str, Any] = {
        "id": identifier,
        "name": field.name,
        "label": {"text": question.title, "classes": LABEL},
        "hint": hint,
        "errorMessage": error,
        "value": field._value(),
    }
    if question.suffix:
        params["suffix"] = {"text": question.suffix}
    return params
