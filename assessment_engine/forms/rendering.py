"""What a section page shows, as parameters for the GOV.UK Frontend Jinja macros.

:func:`section_nodes` turns a filled :class:`~.builder.SectionForm` into a tree of plain dicts
in the shape of the parameters of ``govukRadios``, ``govukDateInput`` and the other GOV.UK
Frontend macros, which :mod:`.markup` renders as those macros would. Everything written by
questionnaire authors goes in ``text`` parameters, which are escaped; nothing here builds HTML.

Every question is rendered. One whose conditions do not hold for the current answers is
wrapped in ``<div hidden data-conditions="...">`` so the page works without JavaScript (the
server decides) and ``static/src/conditions.js`` can show it as soon as the answers change.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..questionnaires.structure import Condition, Question, QuestionType, escape_token, kind_of
from ..questionnaires.types.answer_fields import (
    GroupField,
    RepeatField,
    encode_value,
    none_code_for,
    options_json_type,
)
from ..questionnaires.types.naming import (
    ITEM_MARKER,
    LIST_MARKER,
    encode_name,
    field_id,
    unescape_token,
)
from .attributes import child_field
from .messages import named

if TYPE_CHECKING:
    from .builder import SectionForm

GROUP_LEGEND = "govuk-fieldset__legend--m"


def section_nodes(form: SectionForm) -> list[dict[str, Any]]:
    """The section's questions in page order, ready for ``section_fields.html``."""
    pointer = form.section.pointer
    return _children(form, form, form.section, pointer, field_id(pointer))


def _children(
    form: SectionForm, container: Any, parent: Question, pointer: str, identifier: str
) -> list[dict[str, Any]]:
    """``identifier`` is ``field_id(pointer)``: each child's is it and the child's encoded name
    (as ``field_id`` of the child's pointer would say, without reading the pointer again)."""
    nodes = []
    for child in parent.children:
        child_pointer = f"{pointer}/{child.name.replace('~', '~0').replace('/', '~1')}"
        name = encode_name(child.name)
        child_id = f"{identifier}-{name}" if identifier else name
        nodes.append(_node(form, container, child, child_pointer, child_id, identifier))
    return nodes


def _node(
    form: SectionForm,
    container: Any,
    question: Question,
    pointer: str,
    identifier: str,
    parent_id: str,
) -> dict[str, Any]:
    """``identifier`` is ``field_id(pointer)``, ``parent_id`` that of the question's parent."""
    field = child_field(container, question)
    error = _error(form, pointer)
    node: dict[str, Any] = {
        "kind": question.type.value,
        "pointer": pointer,
        "id": identifier,
        "guidance": question.guidance if question.type is not QuestionType.GUIDANCE else None,
        "conditions": _conditions(form, question, parent_id) if question.conditions else None,
        "hidden": bool(question.conditions) and pointer not in form.visible,
    }
    kind = question.type
    # the description beside the hint (it was dropped when the question had both)
    words = " ".join(text for text in (question.hint, question.description) if text)
    hint = {"text": words} if words else None
    if kind is QuestionType.GUIDANCE:
        node.update(macro="guidance", title=question.title, text=question.description or "")
    elif kind is QuestionType.CALCULATED:
        value = form.calculated.get(pointer)
        shown = (
            _number_text(value)
            if value is not None
            else ("Answer every question above to see this")
        )
        node.update(
            macro="summary",
            params={
                "rows": [{"key": {"text": question.title}, "value": {"text": shown}}],
                "attributes": {
                    "id": identifier,
                    **_calculation(form, question, pointer, parent_id),
                },
                "classes": "app-calculated",
            },
        )
    elif isinstance(field, GroupField):
        node.update(
            macro="group",
            legend=question.title,
            hint=hint,
            error=error,
            children=_children(form, field.form, question, pointer, identifier),
        )
    elif isinstance(field, RepeatField):
        node.update(_repeat(form, field, question, pointer, identifier, hint, error))
    elif field is not None:
        node.update(kind_of(question).markup(field, question, identifier, hint, error))
    return node


def _repeat(
    form: SectionForm,
    field: RepeatField,
    question: Question,
    pointer: str,
    identifier: str,
    hint: Any,
    error: Any,
) -> dict[str, Any]:
    label = question.item_label or "item"
    items = []
    for index, entry in enumerate(field.entries):
        item_pointer = f"{pointer}/{index}"
        item_id = f"{identifier}-{index}"  # field_id(item_pointer): an index is written as it is
        items.append(
            {
                "id": item_id,
                "legend": f"{label[:1].upper()}{label[1:]} {index + 1}",
                "marker": f"{entry.name}-{ITEM_MARKER}",
                "error": _error(form, item_pointer),
                "focus": form.focus == item_pointer,
                "children": _children(form, entry.form, question, item_pointer, item_id),
                "remove": {
                    "text": f"Remove {label} {index + 1}",
                    "name": "action",
                    "value": f"remove:{item_pointer}",
                    "classes": "govuk-button--secondary app-repeat__remove",
                    "id": f"{item_id}-remove",
                },
            }
        )
    full = question.max_items is not None and len(field.entries) >= question.max_items
    article = "an" if label[:1].lower() in "aeiou" else "a"
    return {
        "macro": "repeat",
        "legend": question.title,
        "hint": hint,
        "error": error,
        "focus": form.focus == pointer,
        "items": items,
        "list_marker": f"{field.name}-{LIST_MARKER}" if field.answered or field.entries else None,
        "add": None
        if full
        else {
            "text": f"Add another {label}" if items else f"Add {article} {label}",
            "name": "action",
            "value": f"add:{pointer}",
            "classes": "govuk-button--secondary app-repeat__add",
            "id": f"{identifier}-add",
        },
    }


def _error(form: SectionForm, pointer: str) -> dict[str, str] | None:
    """The field's error message, naming its question (the same words as the summary's)."""
    errors = form.answer_errors.get(pointer)
    return {"text": named(form.questionnaire, pointer, errors[0])} if errors else None


def _calculation(
    form: SectionForm, question: Question, pointer: str, parent_id: str
) -> dict[str, str]:
    """``data-calculated`` for calculated.js: each summed sibling's input name and the score of
    each of its options, so that the total shows as the answers are chosen. The server stays
    the authority: it recalculates on every save. Nothing inside a repeat item."""
    calculation = question.calculation
    parent = pointer.rsplit("/", 1)[0]
    if calculation is None or calculation.operation != "sum":
        return {}
    of = []
    for name in calculation.of:
        source = form.questionnaire.structure.questions.get(f"{parent}/{escape_token(name)}")
        if source is None:
            return {}
        scores = {
            encode_value(option.value): (option.score if option.score is not None else option.value)
            for option in source.options
        }
        of.append({"name": f"{parent_id}-{encode_name(name)}", "scores": scores or None})
    described = {"of": of, "empty": "Answer every question above to see this"}
    return {"data-calculated": json.dumps(described, ensure_ascii=False, separators=(",", ":"))}


def _conditions(form: SectionForm, question: Question, parent_id: str) -> str:
    """The question's conditions as JSON for ``data-conditions`` (read by conditions.js);
    ``parent_id`` is ``field_id`` of the question's parent."""
    return json.dumps(
        [_condition(form, condition, parent_id) for condition in question.conditions],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _condition(form: SectionForm, condition: Condition, parent_id: str) -> dict[str, Any]:
    structure = form.questionnaire.structure
    clauses = []
    for clause in condition.clauses:
        name = unescape_token(clause.subject.rsplit("/", 1)[-1])
        subject = structure.questions.get(clause.subject)
        described: dict[str, Any] = {
            "subject": f"{parent_id}-{encode_name(name)}",
            "type": _json_type(subject),
            "keyword": clause.keyword,
            "value": clause.value,
        }
        if subject is not None and subject.type is QuestionType.MULTIPLE_CHOICE:
            described["items"] = options_json_type(subject)
            described["none"] = none_code_for(subject)
        clauses.append(described)
    return {"negated": condition.negated, "clauses": clauses}


def _json_type(question: Question | None) -> str:
    """How conditions.js should read the subject's inputs."""
    if question is None:
        return "string"
    return kind_of(question).condition_type(question)


def _number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
