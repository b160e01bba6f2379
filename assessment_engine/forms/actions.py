"""Adding and removing repeat items without JavaScript.

Each repeating group has an "Add another ..." button (``name="action"``, value
``add:/health/medicines``) and each item a "Remove ..." button (``remove:/health/medicines/2``).
Both submit the whole page; :func:`apply_action` edits the posted data as the button asks and
returns the section's form filled from it, so nothing typed elsewhere on the page is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from werkzeug.datastructures import MultiDict

from ..questionnaires.structure import QuestionType
from ..questionnaires.types.naming import ITEM_MARKER, LIST_MARKER, field_id
from .builder import Questionnaire, SectionForm, compiled_of, section_form, section_question

#: The name of the buttons that say what a post is for.
ACTION_FIELD = "action"


@dataclass(frozen=True, slots=True)
class Action:
    """``add`` an item to the repeating group at ``pointer``, or ``remove`` the item there."""

    verb: Literal["add", "remove"]
    pointer: str


def parse_action(value: str | None) -> Action | None:
    """The add/remove action a posted ``action`` value asks for; ``None`` for anything else
    (such as ``save``), which the view handles itself."""
    if not value:
        return None
    verb, colon, pointer = value.partition(":")
    if not colon or not pointer.startswith("/"):
        return None
    if verb == "add":
        return Action("add", pointer)
    if verb == "remove":
        return Action("remove", pointer)
    return None


def action_applies(questionnaire: Questionnaire, section_name: str, action: Action) -> bool:
    """Whether ``action`` names a repeating group (add) or one of its items (remove) in the
    section; a tampered value naming anything else is not applied."""
    structure = compiled_of(questionnaire).structure
    section = section_question(questionnaire, section_name)
    if not action.pointer.startswith(section.pointer + "/"):
        return False
    target = action.pointer
    if action.verb == "remove":
        target, _slash, index = action.pointer.rpartition("/")
        if not index.isdigit():
            return False
    question = structure.question(target)
    return question is not None and question.type is QuestionType.REPEATING_GROUP


def apply_action(
    questionnaire: Questionnaire,
    section_name: str,
    answers: Mapping[str, Any] | None,
    formdata: Any,
    action: Action | str,
) -> SectionForm | None:
    """The section's form after the add or remove ``action`` on the posted ``formdata``.

    Returns ``None`` when the action is not an add or remove in this section (the view then
    treats the post as a save). The returned form shows no errors: the user asked for an
    item, not to save; the view may still save ``answers_from_form(form)`` as the draft.
    """
    parsed = parse_action(action) if isinstance(action, str) else action
    if parsed is None or not action_applies(questionnaire, section_name, parsed):
        return None
    data: MultiDict[str, str] = MultiDict()
    for key, values in formdata.lists() if hasattr(formdata, "lists") else []:
        if key != ACTION_FIELD:
            data.setlist(key, list(values))
    if parsed.verb == "add":
        name = field_id(parsed.pointer)
        indices = _indices(data, name)
        question = compiled_of(questionnaire).structure.question(parsed.pointer)
        limit = question.max_items if question is not None else None
        if limit is None or len(indices) < limit:
            data[f"{name}-{max(indices, default=-1) + 1}-{ITEM_MARKER}"] = "1"
    else:
        name = field_id(parsed.pointer.rpartition("/")[0])
        item = field_id(parsed.pointer) + "-"
        for key in [key for key in data if key.startswith(item)]:
            del data[key]
    data[f"{name}-{LIST_MARKER}"] = "1"
    form = section_form(questionnaire, section_name, answers, data, check=False)
    form.focus = _focus_after(form, parsed)
    return form


def _focus_after(form: SectionForm, action: Action) -> str:
    """The item to focus after ``action``: the new item, or the one now in the removed one's
    place (the one before it when it was the last), or the group when none is left."""
    group = action.pointer if action.verb == "add" else action.pointer.rpartition("/")[0]
    prefix = group + "/"
    count = sum(
        1
        for pointer in form.entries
        if pointer.startswith(prefix) and pointer[len(prefix) :].isdigit()
    )
    if count == 0:
        return group
    if action.verb == "add":
        return f"{group}/{count - 1}"
    return f"{group}/{min(int(action.pointer.rpartition('/')[2]), count - 1)}"


def _indices(data: MultiDict[str, str], name: str) -> set[int]:
    prefix = name + "-"
    found = set()
    for key in data:
        if key.startswith(prefix):
            token = key[len(prefix) :].split("-", 1)[0]
            if token.isdigit():
                found.add(int(token))
    return found
