"""Reading a posted section page: type errors, the validator's verdict and what changed.

:func:`read_section` does what a section page's POST handler needs in the right order: apply
an add/remove button, or read the answers, prune those the answers hide, validate the whole
document with the version's validator and put every error at its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..questionnaires.answers import visible_pointers
from .actions import ACTION_FIELD, Action, apply_action, parse_action
from .builder import (
    Questionnaire,
    SectionForm,
    answers_from_form,
    apply_errors,
    compiled_of,
    error_summary,
    section_form,
    section_question,
)


@dataclass
class SectionPost:
    """What a post of one section page came to.

    ``answers`` is the whole answers document with this section as posted (pruned): save it
    when ``errors`` is empty. ``action`` is set when an add or remove button was pressed
    (then ``errors`` is empty and the page should be shown again with ``form``).
    """

    form: SectionForm
    answers: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    action: Action | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_list(self) -> list[dict[str, str]]:
        """The GOV.UK error summary's ``errorList``."""
        return error_summary(self.form)


def read_section(
    questionnaire: Questionnaire,
    section_name: str,
    answers: Mapping[str, Any] | None,
    formdata: Any,
    *,
    complete: bool = False,
) -> SectionPost:
    """Read a posted section page against the saved ``answers`` (the whole document).

    Drafts (``complete=False``) never fail for missing answers; every answer given must
    still be valid. Errors are keyed by JSON Pointer and also placed on the form.
    """
    compiled = compiled_of(questionnaire)
    section = section_question(compiled, section_name)
    action = parse_action(formdata.get(ACTION_FIELD) if formdata is not None else None)
    if action is not None:
        form = apply_action(compiled, section_name, answers, formdata, action)
        if form is not None:
            return SectionPost(form, _merged(compiled, answers, section.name, form), {}, action)
    form = section_form(compiled, section_name, answers, formdata)
    merged = _merged(compiled, answers, section.name, form)
    found = compiled.validate(merged, complete=complete)
    apply_errors(form, found)
    return SectionPost(form, merged, dict(form.answer_errors))


def _merged(
    compiled: Any, answers: Mapping[str, Any] | None, section_name: str, form: SectionForm
) -> dict[str, Any]:
    document = dict(answers or {})
    document[section_name] = answers_from_form(form)
    pruned: dict[str, Any] = compiled.prune(document)
    return pruned


#: Posted by static/src/conditions.js: the page revealed questions as they were answered.
SCRIPTED_FIELD = "conditions_live"


def newly_visible(
    questionnaire: Questionnaire,
    before_answers: Mapping[str, Any] | None,
    after_answers: Mapping[str, Any] | None,
    section: str,
) -> frozenset[str]:
    """Questions of ``section`` that the new answers show, the old did not, and are unanswered.

    Without JavaScript a page cannot show a question that its own answers reveal, so when this
    is not empty the view shows the same section again instead of moving on. Only conditional
    questions count: the questions of a repeat item the person has just added were on the page
    they posted. Questions already answered (because JavaScript showed them) do not count.
    """
    compiled = compiled_of(questionnaire)
    structure = compiled.structure
    prefix = section_question(compiled, section).pointer + "/"
    before = visible_pointers(structure, dict(before_answers or {}))
    after_document = dict(after_answers or {})
    after = visible_pointers(structure, after_document)
    found = set()
    for pointer in after - before:
        question = structure.question(pointer)
        if not pointer.startswith(prefix) or question is None or not question.type.takes_answer:
            continue
        if pointer.rsplit("/", 1)[-1].isdigit():  # a repeat item, not a question
            continue
        if not question.conditions:  # shown because its repeat item was added, not revealed
            continue
        if not _answered(after_document, pointer):
            found.add(pointer)
    return frozenset(found)


def _answered(document: Any, pointer: str) -> bool:
    node = document
    for token in pointer[1:].split("/"):
        name = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and name.isdigit() and int(name) < len(node):
            node = node[int(name)]
        elif isinstance(node, Mapping) and name in node:
            node = node[name]
        else:
            return False
    return True
