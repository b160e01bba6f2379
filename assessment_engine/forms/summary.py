"""The "check your answers" rows of a section, for ``govukSummaryList``.

Answers are shown in words: option labels rather than stored values, dates as "19 April 1985",
yes or no, lists one per line and repeating groups item by item. Only questions shown for the
answers appear. Each row carries the id of the field its "Change" link should land on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from ..questionnaires.answers import calculated_values, prune, visible_pointers
from ..questionnaires.structure import Question, QuestionType, kind_of
from ..questionnaires.types.naming import field_id
from ..questionnaires.types.words import lines as _lines
from ..questionnaires.types.words import number_words as _number
from .builder import Questionnaire, compiled_of, section_question

NOT_ANSWERED = "Not answered"


def summary_rows(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any] | None,
    section_name: str,
    change_url: str | None = None,
) -> list[dict[str, Any]]:
    """Rows for ``govukSummaryList({"rows": ...})`` for one section's visible questions.

    Each row also has ``pointer`` and ``field_id`` (the id the change link targets); with
    ``change_url`` (the section page's URL) each row gets its "Change" action to
    ``change_url#field_id``. Values with line breaks come as ``html`` built from escaped text.
    """
    compiled = compiled_of(questionnaire)
    section = section_question(compiled, section_name)
    document = prune(compiled.structure, dict(answers or {}))
    visible = visible_pointers(compiled.structure, document)
    calculated = calculated_values(compiled.structure, document)
    own = document.get(section.name)
    rows: list[dict[str, Any]] = []
    _rows(
        section, own if isinstance(own, Mapping) else {}, section.pointer, visible, calculated, rows
    )
    if change_url is not None:
        for row in rows:
            row["actions"] = {
                "items": [
                    {
                        "href": f"{change_url}#{row['field_id']}",
                        "text": "Change",
                        "visuallyHiddenText": row["key"]["text"],
                    }
                ]
            }
    return rows


def _rows(
    parent: Question,
    answers: Mapping[str, Any],
    pointer: str,
    visible: frozenset[str],
    calculated: Mapping[str, float],
    rows: list[dict[str, Any]],
) -> None:
    for child in parent.children:
        here = f"{pointer}/{child.name.replace('~', '~0').replace('/', '~1')}"
        if here not in visible or child.type is QuestionType.GUIDANCE:
            continue
        value = answers.get(child.name)
        if child.type is QuestionType.CALCULATED:
            if here in calculated:
                rows.append(_row(child.title, _number(calculated[here], None), here, None))
        elif child.type is QuestionType.GROUP:
            inner = value if isinstance(value, Mapping) else {}
            _rows(child, inner, here, visible, calculated, rows)
        elif child.type is QuestionType.REPEATING_GROUP:
            _repeat_rows(child, value, here, visible, rows)
        else:
            rows.append(_row(child.title, _words(child, value, child.name in answers), here, child))


#: What a blank required question says on "check your answers".
MISSING_REQUIRED = "Not answered (required)"


def mark_missing(
    rows: list[dict[str, Any]], missing: Mapping[str, list[str]]
) -> list[dict[str, Any]]:
    """``rows`` with each required question that is shown and blank marked as needed (its
    pointer in ``missing``, the questionnaire's ``validate(..., complete=True)``), so check
    answers tells it from an optional question left blank."""
    for row in rows:
        if row["pointer"] in missing and row["value"].get("text") == NOT_ANSWERED:
            row["value"] = {"text": MISSING_REQUIRED, "classes": "app-summary-missing"}
            row["classes"] = "app-summary-row--missing"
    return rows


def _repeat_rows(
    question: Question, value: Any, pointer: str, visible: frozenset[str], rows: list[Any]
) -> None:
    label = question.item_label or "item"
    items = value if isinstance(value, list) else None
    if not items:
        shown = NOT_ANSWERED if items is None else "None"
        anchor = f"{field_id(pointer)}-add"
        rows.append({**_row(question.title, shown, pointer, None), "field_id": anchor})
        return
    for index, item in enumerate(items):
        item_pointer = f"{pointer}/{index}"
        item = item if isinstance(item, Mapping) else {}
        lines = []
        first = None
        for child in question.children:
            here = f"{item_pointer}/{child.name.replace('~', '~0').replace('/', '~1')}"
            if here not in visible or not child.type.takes_answer or child.name not in item:
                continue
            first = first or _anchor(child, here)
            lines.append(f"{child.title}: {_plain(_words(child, item[child.name], True))}")
        key = f"{label[:1].upper()}{label[1:]} {index + 1}"
        row = _row(key, _lines(lines) if lines else NOT_ANSWERED, item_pointer, None)
        row["field_id"] = first or field_id(item_pointer)
        rows.append(row)


def _row(
    title: str, shown: str | Markup, pointer: str, question: Question | None
) -> dict[str, Any]:
    value = {"html": shown} if isinstance(shown, Markup) else {"text": shown}
    return {
        "key": {"text": title},
        "value": value,
        "pointer": pointer,
        "field_id": _anchor(question, pointer) if question is not None else field_id(pointer),
    }


def _anchor(question: Question, pointer: str) -> str:
    return kind_of(question).first_input(field_id(pointer), None)


def _words(question: Question, value: Any, answered: bool) -> str | Markup:
    """An answer in words, as the person answering would recognise it."""
    if not answered or value is None:
        return NOT_ANSWERED
    return kind_of(question).words(question, value)


def _plain(shown: str | Markup) -> str:
    """A value in words as one line of plain text (list values joined with commas)."""
    if isinstance(shown, Markup):
        return ", ".join(part.unescape() for part in shown.split(Markup("<br>")))
    return shown
