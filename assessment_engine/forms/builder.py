"""Questionnaire sections as WTForms forms, built once per questionnaire version.

A version's :class:`~assessment_engine.questionnaires.structure.Structure` becomes one
:class:`SectionForm` subclass per section (groups become :class:`GroupField`, repeating groups
:class:`RepeatField` of them); the classes are cached on the compiled questionnaire, so a
request only instantiates them. Each field's HTML name and id come from its question's JSON
Pointer (see :mod:`.naming`). This module also converts between a form and the answers
document: :func:`section_form` fills a form from saved answers or posted data, and
:func:`answers_from_form` reads the section's answers back, typed and pruned.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, Form

from ..questionnaires.answers import calculated_values, prune, visible_pointers
from ..questionnaires.compiled import CompiledQuestionnaire
from ..questionnaires.structure import Question, QuestionType, Structure, escape_token, kind_of
from ..questionnaires.types.answer_fields import (
    AnswerField,
    DateAnswerField,
    GroupField,
    RepeatField,
)
from ..questionnaires.types.naming import encode_name, field_id
from .attributes import ATTR_PREFIX, child_field
from .messages import named
from .rendering import section_nodes
from .versions import Questionnaire, compiled_of

__all__ = ["ATTR_PREFIX", "Questionnaire", "child_field", "compiled_of"]


class _Meta:
    """Names each answer field after its question, not after its Python attribute."""

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
        name = options.get("name", "")
        if name.startswith(ATTR_PREFIX) and "question" in unbound_field.kwargs:
            options = {**options, "name": name[len(ATTR_PREFIX) :]}
        return unbound_field.bind(form=form, **options)


class GroupForm(Form):
    """The questions of a nested group or of one repeat item."""

    class Meta(_Meta):
        pass


@dataclass(frozen=True, slots=True)
class Entry:
    """One question on the page: its pointer (with item indices), field and error anchor."""

    pointer: str
    question: Question
    field: Field | None
    anchor: str


class SectionForm(FlaskForm):
    """One section of a questionnaire version as a web form.

    CSRF is checked for every POST by the app's ``CSRFProtect``, so the form does not add a
    token field of its own (it would be named after the section); pages include
    ``csrf_token()`` in their ``<form>``.
    """

    class Meta(_Meta):
        csrf = False

    questionnaire: CompiledQuestionnaire
    section: Question
    #: This section's answers as the page stands (saved, or as posted, typed and pruned).
    current_answers: dict[str, Any]
    #: Pointers shown for ``current_answers``; the others are rendered ``hidden``.
    visible: frozenset[str]
    #: Calculated values (such as the PHQ-9 total) for ``current_answers``, by pointer.
    calculated: dict[str, float]
    #: Messages by pointer, in page order once :func:`apply_errors` has sorted them.
    answer_errors: dict[str, list[str]]
    #: The repeat item (or repeating group) to give focus to when the page loads: the item
    #: just added, or the one in the place of the item just removed.
    focus: str | None = None
    _entries: dict[str, Entry] | None = None

    @property
    def entries(self) -> dict[str, Entry]:
        """Every question of the section by pointer, in page order: walked on first use (a GET
        without errors never needs it), from fields that do not change once the form is built."""
        if self._entries is None:
            self._entries = dict(_walk(self, self.section))
        return self._entries

    @property
    def has_repeats(self) -> bool:
        """Whether the page has add and remove buttons (so needs a default "save" button)."""
        return any(q.type is QuestionType.REPEATING_GROUP for q in self.section.walk())

    def render_nodes(self) -> list[dict[str, Any]]:
        """What ``templates/forms/section_fields.html`` renders (see :mod:`.rendering`)."""
        return section_nodes(self)


@dataclass(frozen=True, eq=False)
class QuestionnaireForms:
    """The form classes of one questionnaire version, one per section, by section name."""

    sections: Mapping[str, type[SectionForm]]


def questionnaire_forms(questionnaire: Questionnaire) -> QuestionnaireForms:
    """Every section's form class, built on first use and then shared for the version's life.

    The classes are kept on the compiled questionnaire object (which the app's version cache
    keeps for the process), so a version dropped from that cache takes its forms with it.
    """
    compiled = compiled_of(questionnaire)
    found: QuestionnaireForms = compiled.memo(
        "forms",
        lambda: QuestionnaireForms(
            {
                section.name: _form_class(section, SectionForm)
                for section in compiled.structure.sections
            }
        ),
    )
    return found


def section_form_class(questionnaire: Questionnaire, section_name: str) -> type[SectionForm]:
    """The (cached) form class of one section; ``KeyError`` for an unknown section."""
    return questionnaire_forms(questionnaire).sections[section_name]


def _form_class(container: Question, base: type[Form]) -> type[Any]:
    attrs: dict[str, Any] = {}
    for child in container.children:
        unbound = _unbound_field(child)
        if unbound is not None:
            attrs[ATTR_PREFIX + encode_name(child.name)] = unbound
    name = "Form_" + "".join(ch if ch.isalnum() else "_" for ch in container.pointer)
    return type(name, (base,), attrs)


def _unbound_field(question: Question) -> Any:
    """The unbound WTForms field for a question (``None`` for guidance and calculated values)."""
    kind = question.type
    if kind is QuestionType.GROUP:
        return GroupField(_form_class(question, GroupForm), question.title, question=question)
    if kind is QuestionType.REPEATING_GROUP:
        item = GroupField(_form_class(question, GroupForm), question.title, question=question)
        return RepeatField(item, question.title, question=question)
    return kind_of(question).field(question)


# ------------------------------------------------------------------------ answers <-> form


def section_question(questionnaire: Questionnaire, section_name: str) -> Question:
    """The section's question; ``KeyError`` for an unknown section."""
    for section in compiled_of(questionnaire).structure.sections:
        if section.name == section_name:
            return section
    raise KeyError(section_name)


def section_form(
    questionnaire: Questionnaire,
    section_name: str,
    answers: Mapping[str, Any] | None,
    formdata: Any = None,
    *,
    check: bool = True,
) -> SectionForm:
    """A form for one section, filled from the saved ``answers`` (the whole answers document),
    or, when ``formdata`` (the posted ``request.form``) is given, from what was posted.

    A posted form carries the type errors of its visible fields ("Enter a whole number") in
    ``answer_errors`` (unless ``check`` is false); add the validator's with
    :func:`apply_errors`.
    """
    compiled = compiled_of(questionnaire)
    section = section_question(compiled, section_name)
    cls = section_form_class(compiled, section_name)
    prefix = encode_name(section.name) + "-"
    saved = (answers or {}).get(section.name)
    saved = saved if isinstance(saved, Mapping) else {}
    if formdata is not None:
        form = cls(formdata=formdata, prefix=prefix)
    else:
        form = cls(formdata=None, prefix=prefix, data=_form_data(section.children, saved))
    form.questionnaire = compiled
    form.section = section
    form.answer_errors = {}
    current = (
        answers_from_form(form)
        if formdata is not None
        else prune_section(compiled.structure, section.name, saved)
    )
    form.current_answers = current
    # Only this section is walked, so a page costs the same in a questionnaire of any size.
    form.visible = visible_pointers(compiled.structure, {section.name: current}, within=(section,))
    form.calculated = calculated_values(
        compiled.structure, {section.name: current}, within=(section,)
    )
    if formdata is not None and check:
        apply_errors(form, coercion_errors(form))
    return form


def prune_section(structure: Structure, section_name: str, answers: Any) -> dict[str, Any]:
    """One section's answers without those to questions it does not show."""
    within = [s for s in structure.sections if s.name == section_name]
    pruned = prune(structure, {section_name: answers}, within=within).get(section_name)
    return pruned if isinstance(pruned, dict) else {}


def _form_data(children: tuple[Question, ...], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Saved answers keyed by form attribute, for ``Form(data=...)``."""
    data: dict[str, Any] = {}
    for child in children:
        if child.name not in answers or not child.type.takes_answer:
            continue
        value = answers[child.name]
        attr = ATTR_PREFIX + encode_name(child.name)
        if child.type is QuestionType.GROUP:
            data[attr] = _form_data(child.children, value if isinstance(value, Mapping) else {})
        elif child.type is QuestionType.REPEATING_GROUP:
            items = value if isinstance(value, list) else []
            data[attr] = [
                _form_data(child.children, item if isinstance(item, Mapping) else {})
                for item in items
            ]
        else:
            data[attr] = value
    return data


def answers_from_form(form: SectionForm) -> dict[str, Any]:
    """The section's answers as posted: JSON types, unanswered questions left out, and answers
    to questions the answers themselves hide dropped (as saving does)."""
    raw = _collect(form, form.section.children)
    return prune_section(form.questionnaire.structure, form.section.name, raw)


def _collect(container: Form, children: tuple[Question, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in children:
        field = container._fields.get(ATTR_PREFIX + encode_name(child.name))
        if isinstance(field, GroupField):
            inner = _collect(field.form, child.children)
            if inner:
                result[child.name] = inner
        elif isinstance(field, RepeatField):
            if field.entries or field.answered:
                result[child.name] = [
                    _collect(entry.form, child.children) for entry in field.entries
                ]
        elif isinstance(field, AnswerField | DateAnswerField):
            value = field.answer()
            if value is not None and not field.process_errors:
                result[child.name] = value
    return result


# ---------------------------------------------------------------------------- walking


def _walk(
    container: Form, parent: Question, prefix: str | None = None
) -> Iterator[tuple[str, Entry]]:
    """Every question under ``parent`` in page order, with pointers and error anchors."""
    base = parent.pointer if prefix is None else prefix
    if prefix is None:  # the section itself comes first: its errors head the summary
        section_anchor = _first_anchor(container, parent, base) or field_id(base)
        yield base, Entry(base, parent, None, section_anchor)
    for child in parent.children:
        pointer = f"{base}/{escape_token(child.name)}"
        field = child_field(container, child)
        if isinstance(field, GroupField):
            anchor = _first_anchor(field.form, child, pointer) or field_id(pointer)
            yield pointer, Entry(pointer, child, field, anchor)
            yield from _walk(field.form, child, pointer)
        elif isinstance(field, RepeatField):
            repeat_anchor: str | None = None
            if field.entries:
                repeat_anchor = _first_anchor(field.entries[0].form, child, f"{pointer}/0")
            yield pointer, Entry(pointer, child, field, repeat_anchor or f"{field_id(pointer)}-add")
            for index, item in enumerate(field.entries):
                item_pointer = f"{pointer}/{index}"
                item_anchor = _first_anchor(item.form, child, item_pointer) or field_id(
                    item_pointer
                )
                yield item_pointer, Entry(item_pointer, child, item, item_anchor)
                yield from _walk(item.form, child, item_pointer)
        else:
            yield pointer, Entry(pointer, child, field, _leaf_anchor(child, pointer, field))


def _leaf_anchor(question: Question, pointer: str, field: Field | None) -> str:
    """The id the error summary links to: the first input of the question."""
    return kind_of(question).first_input(field_id(pointer), field)


def _first_anchor(container: Form, parent: Question, pointer: str) -> str | None:
    for _pointer, entry in _walk(container, parent, pointer):
        if entry.field is not None and entry.question.type.takes_answer:
            return entry.anchor
    return None


# ---------------------------------------------------------------------------- errors


def coercion_errors(form: SectionForm) -> dict[str, list[str]]:
    """Type errors of posted values ("Enter a whole number"), for questions that are shown."""
    found: dict[str, list[str]] = {}
    for pointer, entry in form.entries.items():
        field = entry.field
        visible = pointer in form.visible
        if isinstance(field, AnswerField | DateAnswerField) and field.process_errors and visible:
            found[pointer] = [str(message) for message in field.process_errors]
    return found


def apply_errors(form: SectionForm, errors: Mapping[str, list[str]]) -> None:
    """Put messages keyed by JSON Pointer (from ``CompiledQuestionnaire.validate``) on fields.

    Errors of other sections are ignored; an error at a pointer with no field of its own (an
    unknown answer, say) goes to the nearest question that has one, or to the section. The
    messages stay short; the page names their question when it shows them (:mod:`.messages`).
    """
    section_pointer = form.section.pointer
    for pointer, messages in errors.items():
        if pointer != section_pointer and not pointer.startswith(section_pointer + "/"):
            continue
        target = pointer
        while target not in form.entries and target != section_pointer:
            target = target.rsplit("/", 1)[0]
        placed = form.answer_errors.setdefault(target, [])
        for message in messages:
            if message not in placed:
                placed.append(message)
        field = form.entries[target].field
        if isinstance(field, AnswerField | DateAnswerField):
            field.errors = list(placed)
    order = {pointer: index for index, pointer in enumerate(form.entries)}
    form.answer_errors = dict(sorted(form.answer_errors.items(), key=lambda item: order[item[0]]))


def error_summary(form: SectionForm) -> list[dict[str, str]]:
    """The GOV.UK error summary's ``errorList``: one message per field, in page order, each
    naming its question."""
    return [
        {
            "text": named(form.questionnaire, pointer, messages[0]),
            "href": "#" + form.entries[pointer].anchor,
        }
        for pointer, messages in form.answer_errors.items()
        if messages
    ]


def field_anchor(form: SectionForm, pointer: str) -> str:
    """The id of the first input of the question at ``pointer`` (for links to it)."""
    entry = form.entries.get(pointer)
    return entry.anchor if entry is not None else field_id(pointer)
