"""A FHIR QuestionnaireResponse's items as answers to one of our questionnaire versions.

Items are matched by linkId: the question's pointer (as our export writes it), or the source
linkId of a questionnaire imported from FHIR. linkIds are unique in a Questionnaire, so a
question may be answered at its own level or, as some systems send them, flat at the level of
an enclosing group (never across a repeating group, whose items arrive as repeated group items
and become a list). A coding is matched by system and code; one that matches an option only by
its display or a spelling variant of its code is mapped and the mapping reported in
``mapped``. Anything else that does not fit is reported by linkId and nothing is guessed; the
answers found are then validated by the questionnaire version itself, like any other answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..documents import BASE_URI
from ..structure import Option, Question, QuestionType, Structure, kind_of
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
    #: A questionnaire imported from FHIR, named by its source's canonical url (and version).
    source_url: str | None = None
    source_version: str | None = None
    #: Answers taken, but not as sent (a coding matched by display or spelling), by linkId.
    mapped: list[ImportNote] = field(default_factory=list)
    #: Values the response states for calculated items (a total), by linkId.
    stated: dict[str, Any] = field(default_factory=dict)

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
        url, _bar, version = reference.partition("|")
        if found.key is None and "://" in url:  # a questionnaire imported from FHIR
            found.source_url, found.source_version = url, version or None
        elif found.key is None or found.version is None:
            found.note(
                None,
                f"questionnaire {reference!r} is not one of this service's questionnaire "
                "versions: name it as url|version, as in the Questionnaire this API exports "
                "(or, for one imported from FHIR, as the source Questionnaire's url|version)",
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


def _reachable(questions: Sequence[Question]) -> dict[str, tuple[Question, ...]]:
    """Each linkId answerable at this level: the path to its question through the groups
    between (never into a repeating group, whose items come as repeated group items)."""
    paths: dict[str, tuple[Question, ...]] = {}
    for question in questions:
        paths.setdefault(question.link_id, (question,))
        if question.type.is_container and question.type is not QuestionType.REPEATING_GROUP:
            for link_id, path in _reachable(question.children).items():
                paths.setdefault(link_id, (question, *path))
    return paths


def _items(
    structure: Structure,
    questions: Sequence[Question],
    items: Sequence[Any],
    prefix: str,
    found: ResponseImport,
) -> dict[str, Any]:
    """The answers of one object (root, section, group or repeat item)."""
    paths = _reachable(questions)
    result: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
            found.note(None, "an item has no linkId")
            continue
        link_id = item["linkId"]
        path = paths.get(link_id)
        if link_id in totals_of(structure):  # a total the rules compute: reconciled later
            found.stated[link_id] = _stated(item.get("answer"))
            continue
        if path is None:
            where = f" inside {prefix}" if prefix else ""
            found.note(link_id, f"no question of this questionnaire has this linkId{where}")
            continue
        target = result
        for container in path[:-1]:
            target = target.setdefault(container.name, {})
        question = path[-1]
        if question.type is QuestionType.REPEATING_GROUP:
            entry = _items(structure, question.children, item.get("item", []), link_id, found)
            target.setdefault(question.name, []).append(entry)
        elif question.type.is_container:
            inner = _items(structure, question.children, item.get("item", []), link_id, found)
            target.setdefault(question.name, {}).update(inner)
        elif question.type is QuestionType.CALCULATED:
            if item.get("answer"):  # stored beside the computed one (assessments.totals)
                target[question.name] = _stated(item["answer"])
        elif not question.type.takes_answer:
            if item.get("answer"):
                found.note(link_id, f"{question.type.value} items take no answer; ignored")
        else:
            value = _answer(question, item.get("answer", []), link_id, found)
            if value is not None:
                target[question.name] = value
            nested = _nested(item)
            if nested:  # items under a question: answers of its follow-up group beside it
                _merge(result, _items(structure, questions, nested, prefix, found))
    return result


def _nested(item: Mapping[str, Any]) -> list[Any]:
    """The items sent under a question (FHIR puts them under each answer, or the item)."""
    nested = list(item.get("item") or [])
    for answer in item.get("answer") or []:
        if isinstance(answer, Mapping):
            nested += list(answer.get("item") or [])
    return nested


def _merge(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    for name, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(name), dict):
            _merge(into[name], value)
        else:
            into[name] = value


def totals_of(structure: Structure) -> Mapping[str, Any]:
    """linkId to score name of each calculated total a rule computes (imported from FHIR)."""
    totals = (structure.fhir or {}).get("totals")
    return totals if isinstance(totals, Mapping) else {}


def _stated(answers: Any) -> Any:
    """The value a response states for a calculated item (a quantity's value, a number)."""
    for answer in answers if isinstance(answers, list) else []:
        if not isinstance(answer, Mapping):
            continue
        for name, value in answer.items():
            if name == "valueQuantity" and isinstance(value, Mapping):
                return value.get("value")
            if name.startswith("value"):
                return value
    return None


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
    expected = kind_of(question).fhir_value_keys
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
    """The option a coding (by system and code) or a plain value names."""
    system: str | None = None
    display: Any = None
    if name == "valueCoding" and isinstance(value, Mapping):
        code, system, display = value.get("code"), value.get("system"), value.get("display")
    elif name in ("valueString", "valueInteger", "valueDecimal"):
        code = value
    else:
        found.note(link_id, f"{name} does not fit a question with options; send valueCoding")
        return None
    same_code = [
        option
        for option in question.options
        if code is not None and option_code(option.code or option.value) == option_code(code)
    ]
    exact = [option for option in same_code if _system_fits(option, system)]
    if same_code and not exact:
        systems = sorted({o.system or f"{BASE_URI}..." for o in same_code})
        found.note(
            link_id,
            f"the coding {system}|{code} is not in this question's code system "
            f"({', '.join(systems)})",
        )
        return None
    if len(exact) == 1:
        return exact[0].value
    if len(exact) > 1:
        found.note(link_id, f"code {code!r} is in more than one system; send the coding's system")
        return None
    mapped = _by_display_or_spelling(question, code, display)
    if mapped is not None:
        found.mapped.append(
            ImportNote(
                link_id,
                f"code {code!r} is not one of this question's codes; mapped to "
                f"{option_code(mapped.code or mapped.value)!r} ({mapped.label}) by its "
                "display or spelling",
            )
        )
        return mapped.value
    codes = ", ".join(repr(option_code(o.code or o.value)) for o in question.options)
    found.note(link_id, f"code {code!r} is not one of this question's options ({codes})")
    return None


def _system_fits(option: Option, system: Any) -> bool:
    """A coding without a system fits by code; with one, it must be the option's own system
    (imported from FHIR) or, for our own options, one of our per-question systems."""
    if system is None:
        return True
    if option.system is not None:
        return bool(option.system == system)
    return isinstance(system, str) and system.startswith(BASE_URI)


def _spelling(value: Any) -> str:
    """A code or label without case, spaces, hyphens or underscores: "Not-at-all" and
    "not at all" spell the same."""
    return "".join(ch for ch in str(value).casefold() if ch.isalnum())


def _by_display_or_spelling(question: Question, code: Any, display: Any) -> Option | None:
    """The one option whose code or label is a spelling variant of the sent code or display."""
    wanted = {_spelling(v) for v in (code, display) if isinstance(v, str | int) and str(v)}
    matches = [
        option
        for option in question.options
        if wanted & {_spelling(option.code or option.value), _spelling(option.label)}
    ]
    return matches[0] if len(matches) == 1 else None
