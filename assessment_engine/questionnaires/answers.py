"""Answers against a question model: what is shown, pruning hidden answers, calculated values,
and validation with messages keyed by each field's JSON Pointer.

Pure functions over a :class:`~.structure.Structure`; the validator is built once per version by
:class:`AnswerValidator` and reused for every request.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry

from .structure import EACH_ITEM, Question, QuestionType, Structure, escape_token, kind_of

#: Keywords that only say an answer must be present: a draft may leave answers out.
COMPLETENESS_KEYWORDS = frozenset({"required", "dependentRequired", "minProperties"})


def _children_shown(
    questions: Iterable[Question], answers: Mapping[str, Any]
) -> Iterator[Question]:
    for question in questions:
        if question.shown(answers):
            yield question


def visible_pointers(
    structure: Structure,
    answers: Mapping[str, Any],
    *,
    within: Iterable[Question] | None = None,
) -> frozenset[str]:
    """The pointers of every question shown, given the answers so far.

    ``within`` limits the walk to some sections (a section page needs only its own), so that
    the cost of one page does not grow with the size of the whole questionnaire.

    Questions inside a repeating group appear once per item that exists (``/health/medicines/0/
    name``); questions inside a group or section that has no answers yet are shown if their own
    conditions allow.
    """
    found: set[str] = set()
    root = answers if isinstance(answers, Mapping) else {}
    _visible(structure.sections if within is None else within, root, "", found)
    return frozenset(found)


def _visible(
    questions: Iterable[Question], answers: Mapping[str, Any], prefix: str, found: set[str]
) -> None:
    for question in _children_shown(questions, answers):
        pointer = f"{prefix}/{escape_token(question.name)}"
        found.add(pointer)
        value = answers.get(question.name)
        if question.type in (QuestionType.SECTION, QuestionType.GROUP):
            _visible(question.children, value if isinstance(value, Mapping) else {}, pointer, found)
        elif question.type is QuestionType.REPEATING_GROUP and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    _visible(question.children, item, f"{pointer}/{index}", found)


def prune(
    structure: Structure,
    answers: Mapping[str, Any],
    *,
    within: Iterable[Question] | None = None,
) -> dict[str, Any]:
    """A copy of ``answers`` without answers to questions that are not shown, or never answered.

    Hidden answers are dropped when saved and so are never scored; calculated values are dropped
    too (they are derived, see :func:`with_calculated`). Hiding one answer can hide others that
    depend on it, so each object is pruned until nothing more changes. Values the questionnaire
    does not know (or of the wrong shape) are kept for :meth:`AnswerValidator.validate` to report.
    ``within`` limits it to some sections (see :func:`visible_pointers`).
    """
    return _prune(structure.sections if within is None else within, answers)


def _prune(questions: Iterable[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(answers)
    by_name = {question.name: question for question in questions}
    changed = True
    while changed:
        changed = False
        for name, question in by_name.items():
            if name in result and (
                question.type is QuestionType.CALCULATED or not question.shown(result)
            ):
                del result[name]
                changed = True
    for name, value in list(result.items()):
        known = by_name.get(name)
        if known is None:
            continue
        if known.type in (QuestionType.SECTION, QuestionType.GROUP) and isinstance(value, Mapping):
            result[name] = _prune(known.children, value)
        elif known.type is QuestionType.REPEATING_GROUP and isinstance(value, list):
            result[name] = [
                _prune(known.children, item) if isinstance(item, Mapping) else item
                for item in value
            ]
        else:
            result[name] = _copy(value)
    return result


#: Values that are their own copy (``copy.deepcopy`` returns them as they are).
_ATOMIC = frozenset({str, int, float, bool, type(None)})


def _copy(value: Any) -> Any:
    """``copy.deepcopy(value)``, without its dispatch for an answer's usual single value or
    list of them (each its own copy)."""
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if kind is list and all(type(item) in _ATOMIC for item in value):
        return list(value)
    return copy.deepcopy(value)


def calculated_values(
    structure: Structure,
    answers: Mapping[str, Any],
    *,
    within: Iterable[Question] | None = None,
) -> dict[str, float]:
    """Each shown calculated value (for example ``/mood/phq9/total``) that can be computed now.

    A sum is of the named siblings' option scores (or their numbers); it is left out until every
    one of them has a valid answer, so a half-finished PHQ-9 shows no total.
    """
    found: dict[str, float] = {}
    root = answers if isinstance(answers, Mapping) else {}
    _calculate(structure.sections if within is None else within, root, "", found)
    return found


def _calculate(
    questions: Iterable[Question], answers: Mapping[str, Any], prefix: str, found: dict[str, float]
) -> None:
    shown = list(_children_shown(questions, answers))
    by_name = {question.name: question for question in shown}
    for question in shown:
        pointer = f"{prefix}/{escape_token(question.name)}"
        value = answers.get(question.name)
        if question.calculation is not None:
            total = _sum(question.calculation.of, by_name, answers)
            if total is not None:
                found[pointer] = total
        elif question.type in (QuestionType.SECTION, QuestionType.GROUP):
            _calculate(
                question.children, value if isinstance(value, Mapping) else {}, pointer, found
            )
        elif question.type is QuestionType.REPEATING_GROUP and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    _calculate(question.children, item, f"{pointer}/{index}", found)


def _sum(
    names: Iterable[str], by_name: Mapping[str, Question], answers: Mapping[str, Any]
) -> float | None:
    total: float = 0
    for name in names:
        source = by_name.get(name)
        if source is None or name not in answers:
            return None
        value = answers[name]
        if source.options:
            option = source.option(value)
            if option is None:
                return None
            score = option.score if option.score is not None else option.value
            if isinstance(score, bool) or not isinstance(score, int | float):
                return None
            total += score
        elif isinstance(value, int | float) and not isinstance(value, bool):
            total += value
        else:
            return None
    return total


def stated_calculated(structure: Structure, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The values ``answers`` give for shown calculated questions (a total a partner sent),
    by pointer: :func:`prune` drops them, so a caller that must not lose them reads them first."""
    found: dict[str, Any] = {}
    holding = _holding_calculated(structure)
    if holding:
        root = answers if isinstance(answers, Mapping) else {}
        _stated(structure.sections, root, "", found, holding)
    return found


def _holding_calculated(structure: Structure) -> frozenset[str]:
    """The pointers of the calculated questions and of every question they sit in: the only
    ones :func:`stated_calculated` need ask whether they are shown (a scan of the questions,
    far cheaper than evaluating the conditions of all the others)."""
    held: set[str] = set()
    for question in structure.questions.values():
        if question.type is QuestionType.CALCULATED:
            pointer = question.pointer
            while pointer and pointer not in held:
                held.add(pointer)
                pointer = pointer.rsplit("/", 1)[0]
    return frozenset(held)


def _stated(
    questions: Iterable[Question],
    answers: Mapping[str, Any],
    prefix: str,
    found: dict[str, Any],
    holding: frozenset[str],
) -> None:
    wanted = (question for question in questions if question.pointer in holding)
    for question in _children_shown(wanted, answers):
        pointer = f"{prefix}/{escape_token(question.name)}"
        value = answers.get(question.name)
        if question.type is QuestionType.CALCULATED and value is not None:
            found[pointer] = value
        elif question.type in (QuestionType.SECTION, QuestionType.GROUP):
            inner = value if isinstance(value, Mapping) else {}
            _stated(question.children, inner, pointer, found, holding)
        elif question.type is QuestionType.REPEATING_GROUP and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    _stated(question.children, item, f"{pointer}/{index}", found, holding)


def with_calculated(structure: Structure, answers: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``answers`` with every calculated value written at its pointer, for display."""
    result = copy.deepcopy(dict(answers))
    for pointer, value in calculated_values(structure, answers).items():
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
        node: Any = result
        for token in tokens[:-1]:
            node = node[int(token)] if isinstance(node, list) else node[token]
        node[tokens[-1]] = value
    return result


def fast_validator(document: Mapping[str, Any], registry: Registry[Any]) -> Any | None:
    """A jsonschema-rs validator of the same schema, or None where it is not installed or
    cannot build it (then every check goes through :mod:`jsonschema` alone).

    It only answers "valid or not", about 100 times faster than :mod:`jsonschema`; the
    messages of invalid answers always come from :mod:`jsonschema`. tests/benchmarks/
    bench_validation.py checks both give the same verdicts on our questionnaires.
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - an optional accelerator
        return None
    try:
        resources = [(uri, registry[uri].contents) for uri in registry]
        return jsonschema_rs.Draft202012Validator(
            dict(document),
            validate_formats=True,
            registry=jsonschema_rs.Registry(resources) if resources else None,
        )
    except Exception:
        return None


class AnswerValidator:
    """Validates answers against one questionnaire version; build it once per version.

    Uses one :class:`jsonschema.Draft202012Validator` (with the registry that resolves the
    version's ``$ref`` s and date format checking), so what it accepts is exactly what JSON
    Schema accepts; it only turns the errors into messages keyed by field pointer. Valid
    answers, the common case, are recognised first by jsonschema-rs when it is installed
    (:func:`fast_validator`); only answers it refuses are walked by :mod:`jsonschema`.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        structure: Structure,
        registry: Registry[Any],
        *,
        fast: bool = True,
    ) -> None:
        self.structure = structure
        self._validator = Draft202012Validator(
            document, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        self._fast = fast_validator(document, registry) if fast else None
        self._date_limits = tuple(
            (question.pointer, question.not_after, structure.questions[question.not_after].title)
            for question in structure.questions.values()
            if question.not_after is not None and question.not_after in structure.questions
        )

    def validate(self, answers: Any, *, complete: bool) -> dict[str, list[str]]:
        """Errors keyed by the JSON Pointer of each field; empty when the answers are valid.

        A draft (``complete=False``) may leave answers out: only "required" errors are ignored,
        every answer given must still be valid. A submission (``complete=True``) must also answer
        every question that is required and shown. Call :func:`prune` first so that answers to
        hidden questions are gone.
        """
        errors: dict[str, list[str]] = self._dates_too_late(answers)
        if self._fast is not None and self._fast.is_valid(answers):
            return errors
        for error in self._validator.iter_errors(answers):
            if not complete and error.validator in COMPLETENESS_KEYWORDS:
                continue
            for pointer, message in self._messages(error):
                messages = errors.setdefault(pointer, [])
                if message not in messages:
                    messages.append(message)
        order = {pointer: index for index, pointer in enumerate(self.structure.questions)}
        return dict(
            sorted(
                errors.items(),
                key=lambda item: (
                    order.get(self.structure.template_pointer(item[0]), len(order)),
                    item[0],
                ),
            )
        )

    def _dates_too_late(self, answers: Any) -> dict[str, list[str]]:
        """``x-not-after``: each date later than the date question it names (JSON Schema
        cannot compare two answers). Dates that are not real dates are the schema's to refuse."""
        errors: dict[str, list[str]] = {}
        for template, limit_pointer, limit_title in self._date_limits:
            limit = _parse_date(_at(answers, limit_pointer))
            if limit is None:
                continue
            for pointer, value in _each(answers, template):
                found = _parse_date(value)
                if found is not None and found > limit:
                    errors[pointer] = [
                        (
                            f"Must be on or before the \u2018{limit_title}\u2019 "
                            f"({limit.day} {limit:%B %Y})"
                        )
                    ]
        return errors

    def is_valid(self, answers: Any, *, complete: bool) -> bool:
        """Whether :meth:`validate` would find nothing."""
        return not self.validate(answers, complete=complete)

    def _messages(self, error: ValidationError) -> Iterator[tuple[str, str]]:
        """The (pointer, message) pairs one jsonschema error stands for."""
        pointer = "".join("/" + escape_token(str(token)) for token in error.absolute_path)
        keyword = error.validator
        instance = error.instance
        if keyword == "required" and isinstance(instance, Mapping):
            for name in error.validator_value:
                if name not in instance:
                    child = f"{pointer}/{escape_token(name)}"
                    yield child, self._missing(child)
            return
        if keyword == "dependentRequired" and isinstance(instance, Mapping):
            for subject, names in error.validator_value.items():
                if subject in instance:
                    for name in names:
                        if name not in instance:
                            child = f"{pointer}/{escape_token(name)}"
                            yield child, self._missing(child)
            return
        if keyword == "additionalProperties" and isinstance(instance, Mapping):
            known = set(error.schema.get("properties", {}))
            for name in instance:
                if name not in known:
                    yield (
                        f"{pointer}/{escape_token(name)}",
                        "This is not a question in this questionnaire",
                    )
            return
        yield pointer, self._message(error, pointer)

    def _missing(self, pointer: str) -> str:
        question = self.structure.question(pointer)
        if question is None:
            return "Answer this question"
        return kind_of(question).missing(question)

    def _message(self, error: ValidationError, pointer: str) -> str:
        keyword = error.validator
        value = error.validator_value
        if keyword == "type":
            return {
                "integer": "Enter a whole number",
                "number": "Enter a number",
                "string": "Enter text",
                "boolean": "Select yes or no",
                "array": "Select from the list",
                "object": "Answer the questions in this group",
            }.get(value if isinstance(value, str) else "", "This answer is the wrong kind")
        if keyword in ("oneOf", "const", "enum"):
            return "Select one of the options"
        if keyword == "minimum":
            return f"Must be {_number(value)} or more"
        if keyword == "maximum":
            return f"Must be {_number(value)} or less"
        if keyword == "exclusiveMinimum":
            return f"Must be more than {_number(value)}"
        if keyword == "exclusiveMaximum":
            return f"Must be less than {_number(value)}"
        if keyword == "multipleOf":
            return f"Must be a multiple of {_number(value)}"
        if keyword == "minLength":
            return f"Must be at least {value} characters"
        if keyword == "maxLength":
            return f"Must be {value} characters or fewer"
        if keyword == "pattern":
            return "Enter it in the format asked for"
        if keyword == "format":
            return "Enter a real date, for example 2025-03-27"
        if keyword == "uniqueItems":
            return "Select each option only once"
        if keyword == "minProperties":
            question = self.structure.question(pointer)
            answerable = (
                [c for c in question.children if c.type not in _UNANSWERED]
                if question is not None
                else []
            )
            if answerable:
                return f"Answer at least {value} of these {len(answerable)} questions"
            return f"Answer at least {value} of these questions"
        if keyword == "minItems":
            return f"Add at least {value}"
        if keyword == "maxItems":
            return f"Add no more than {value}"
        if keyword == "not":
            question = self.structure.question(pointer)
            if question is not None and question.type is QuestionType.GUIDANCE:
                return "This is guidance and takes no answer"
        return str(error.message)


_UNANSWERED = frozenset({QuestionType.CALCULATED, QuestionType.GUIDANCE})


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _at(answers: Any, pointer: str) -> Any:
    node = answers
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _each(answers: Any, template: str, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(pointer, value) of every answer at a template pointer (``*``: each repeat item)."""
    head, _, rest = template[1:].partition("/")
    if head == EACH_ITEM:
        items = answers if isinstance(answers, list) else []
        for index, item in enumerate(items):
            yield from _each(item, "/" + rest, f"{prefix}/{index}") if rest else ()
        return
    if not isinstance(answers, Mapping):
        return
    name = head.replace("~1", "/").replace("~0", "~")
    if name not in answers:
        return
    if rest:
        yield from _each(answers[name], "/" + rest, f"{prefix}/{head}")
    else:
        yield f"{prefix}/{head}", answers[name]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = [
    "COMPLETENESS_KEYWORDS",
    "EACH_ITEM",
    "AnswerValidator",
    "calculated_values",
    "prune",
    "stated_calculated",
    "visible_pointers",
    "with_calculated",
]
