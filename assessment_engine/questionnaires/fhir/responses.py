"""A FHIR QuestionnaireResponse's items as answers to one of our questionnaire versions.

Items are matched by linkId, which is the question's pointer (as our export writes it); the
items of a repeating group arrive as repeated group items and become a list. Anything that does
not fit is reported by linkId and nothing is guessed; the answers found are then validated by
the questionnaire version itself, like any other answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..structure import Question, QuestionType, Structure
from .common import CHI_SYSTEM, ImportNote, option_code, parse_canonical

#: QuestionnaireResponse.status to our assessment status; others are refused.
STATUSES = {"in-progress": "draft", "completed": "submitted", "amended": "submitted"}


@dataclass
class ResponseImport:
    """What a QuestionnaireResponse says: questionnaire, person, status and answers."""

    key: str | None = None
    version: int | None = None
    chi: str | None = None
    status: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    notes: list[ImportNote] = field(default_factory=list)

    def note(self, link_id: str | None, message: str) -> None:
        self.notes.append(ImportNote(link_id, message))


def read_header(resource: Mapping[str, Any]) -> ResponseImport:
    """The questionnaire, the person (CHI) and the status, each reported when missing."""
    found = ResponseImport()
    if resource.get("resourceType") != "QuestionnaireResponse":
        found.note(None, "resourceType must be QuestionnaireResponse")
        return found
    reference = resource.get("questionnaire")
    if not isinstance(reference, str) or not reference:
        found.note(None, "questionnaire is missing: name the questionnaire as url|version")
    else:
        found.key, found.version = parse_canonical(reference)
        if found.key is None or found.version is None:
            found.note(
                None,
                f"questionnaire {reference!r} is not one of this service's questionnaire "
                "versions: name it as url|version, as in the Questionnaire this API exports",
            )
    subject = resource.get("subject")
    identifier = subject.get("identifier") if isinstance(subject, Mapping) else None
    if (
        isinstance(identifier, Mapping)
        and identifier.get("system") == CHI_SYSTEM
        and isinstance(identifier.get("value"), str)
    ):
        found.chi = identifier["value"]
    else:
        found.note(
            None,
            f"subject must carry the person's CHI number as an identifier with system {CHI_SYSTEM}",
        )
    status = resource.get("status")
    found.status = STATUSES.get(status) if isinstance(status, str) else None
    if found.status is None:
        found.note(
            None,
            f"status {status!r} cannot be imported; use in-progress (a draft) or completed",
        )
    return found


def answers_from_response(structure: Structure, resource: Mapping[str, Any]) -> ResponseImport:
    """The header and the answers of ``resource`` for ``structure``'s questionnaire version."""
    found = read_header(resource)
    items = resource.get("item", [])
    if not isinstance(items, list):
        found.note(None, "item must be a list")
        return found
    found.answers = _items(structure, structure.sections, items, "", found)
    return found


def _items(
    structure: Structure,
    questions: Sequence[Question],
    items: Sequence[Any],
    prefix: str,
    found: ResponseImport,
) -> dict[str, Any]:
    """The answers of one object (root, section, group or repeat item)."""
    by_pointer = {question.pointer: question for question in questions}
    result: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
            found.note(None, "an item has no linkId")
            continue
        link_id = item["linkId"]
        question = by_pointer.get(link_id)
        if question is None:
            where = f" inside {prefix}" if prefix else ""
            found.note(link_id, f"no question of this questionnaire has this linkId{where}")
            continue
        if question.type is QuestionType.REPEATING_GROUP:
            entry = _items(structure, question.children, item.get("item", []), link_id, found)
            result.setdefault(question.name, []).append(entry)
        elif question.type.is_container:
            if question.name in result:
                found.note(link_id, "this group appears twice; it does not repeat")
                continue
            result[question.name] = _items(
                structure, question.children, item.get("item", []), link_id, found
            )
        elif not question.type.takes_answer:
            if item.get("answer"):
                found.note(link_id, f"{question.type.value} items take no answer; ignored")
        else:
            if item.get("item"):
                found.note(link_id, "items nested under a question's answer are not supported")
            value = _answer(question, item.get("answer", []), link_id, found)
            if value is not None:
                result[question.name] = value
    return result


def _answer(question: Question, answers: Any, link_id: str, found: ResponseImport) -> Any | None:
    if not isinstance(answers, list) or not answers:
        # A multiple choice present without answers is "none of these" (an empty list).
        return [] if question.type is QuestionType.MULTIPLE_CHOICE else None
    values = []
    for answer in answers:
        value = _value(question, answer, link_id, found)
        if value is None:
            return None
        values.append(value)
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return values
    if len(values) > 1:
        found.note(link_id, "this question takes one answer; several were given")
        return None
    return values[0]


_VALUE_KEYS: dict[QuestionType, tuple[str, ...]] = {
    QuestionType.SHORT_TEXT: ("valueString",),
    QuestionType.LONG_TEXT: ("valueString",),
    QuestionType.INTEGER: ("valueInteger",),
    QuestionType.DECIMAL: ("valueDecimal", "valueInteger"),
    QuestionType.DATE: ("valueDate",),
    QuestionType.YES_NO: ("valueBoolean",),
}


def _value(question: Question, answer: Any, link_id: str, found: ResponseImport) -> Any | None:
    if not isinstance(answer, Mapping):
        found.note(link_id, "each answer must be an object with one value[x]")
        return None
    given = [name for name in answer if name.startswith("value")]
    if len(given) != 1:
        found.note(link_id, "each answer must have exactly one value[x]")
        return None
    name, value = given[0], answer[given[0]]
    if question.options:
        return _option(question, name, value, link_id, found)
    expected = _VALUE_KEYS.get(question.type, ())
    if name not in expected:
        found.note(
            link_id,
            f"{name} does not fit a {question.type.value.replace('_', ' ')} question "
            f"(expected {' or '.join(expected)})",
        )
        return None
    return value


def _option(
    question: Question, name: str, value: Any, link_id: str, found: ResponseImport
) -> Any | None:
    if name == "valueCoding" and isinstance(value, Mapping):
        code = value.get("code")
    elif name in ("valueString", "valueInteger", "valueDecimal"):
        code = value
    else:
        found.note(link_id, f"{name} does not fit a question with options; send valueCoding")
        return None
    for option in question.options:
        if code is not None and option_code(option.value) == option_code(code):
            return option.value
    codes = ", ".join(repr(option_code(option.value)) for option in question.options)
    found.note(link_id, f"code {code!r} is not one of this question's options ({codes})")
    return None
