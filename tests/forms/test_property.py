"""Property: what the form accepts is exactly what the JSON Schema accepts.

For each section, hypothesis generates answer documents (mostly valid, with wrong types,
out-of-range numbers, impossible dates, unknown options, duplicate choices and too many items
mixed in), writes each as a browser would post it (numbers and dates as the text typed, options
by their value, including values a tampered page could post), and reads the post through the
form and the validator. The verdict must equal that of a separately built jsonschema validator
on the same section's answers, with answers to questions they hide dropped (the product saves
only shown answers).

Only documents a browser can express are generated: a text box cannot tell ``5`` from ``"5"``
or send ``null``, a blank box is "unanswered", typed text is trimmed, and a group with nothing
answered is unanswered; so text answers are non-blank and trimmed, groups are never empty, and
a wrong-typed value is never one that is written the same as a valid one.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from werkzeug.datastructures import MultiDict

from assessment_engine.forms import read_section
from assessment_engine.forms.answer_fields import NUMBER, encode_value, none_code_for
from assessment_engine.forms.naming import ITEM_MARKER, LIST_MARKER, encode_name
from assessment_engine.questionnaires.catalogue import Catalogue
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire
from assessment_engine.questionnaires.structure import Question, QuestionType

from .conftest import kitchen_sink

pytestmark = pytest.mark.usefixtures("request_context")

TEXT = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
ISO = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _junk_text(question: Question) -> st.SearchStrategy[str]:
    """Text that no valid answer of ``question`` is written as."""
    codes = {encode_value(option.value) for option in question.options}
    codes |= {"true", "false", none_code_for(question) or ""}
    return TEXT.filter(lambda text: text not in codes and not NUMBER.fullmatch(text))


def _valid(question: Question) -> st.SearchStrategy[Any]:
    kind = question.type
    if kind is QuestionType.MULTIPLE_CHOICE:
        values = [option.value for option in question.options]
        return st.lists(st.sampled_from(values), unique=True, max_size=3)
    if question.options:
        return st.sampled_from([option.value for option in question.options])
    if kind is QuestionType.YES_NO:
        return st.booleans()
    if kind is QuestionType.INTEGER:
        low = int(question.minimum) if question.minimum is not None else -1000
        high = int(question.maximum) if question.maximum is not None else 1000
        return st.integers(low, high)
    if kind is QuestionType.DECIMAL:
        low = question.minimum if question.minimum is not None else -1000.0
        high = question.maximum if question.maximum is not None else 1000.0
        return st.floats(low, high, allow_nan=False)
    if kind is QuestionType.DATE:
        return st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat)
    return TEXT.map(lambda text: text[: question.max_length or 20])


def _invalid(question: Question) -> st.SearchStrategy[Any]:
    kind = question.type
    choices: list[st.SearchStrategy[Any]] = []
    if kind in (QuestionType.INTEGER, QuestionType.DECIMAL):
        bounds = [b for b in (question.minimum, question.maximum) if b is not None]
        steps = (-1, 1) if kind is QuestionType.INTEGER else (-0.5, 0.5)
        choices.append(st.sampled_from([b + d for b in bounds for d in steps] or [0]))
        choices.append(_junk_text(question))
        if kind is QuestionType.INTEGER:
            choices.append(st.sampled_from([2.5, -0.25]))
    elif kind is QuestionType.DATE:
        choices.append(st.sampled_from(["2025-02-30", "2023-13-01", "0000-01-01", "27/03/2025"]))
        choices.append(_junk_text(question).filter(lambda t: not re.match(ISO, t)))
    elif kind is QuestionType.MULTIPLE_CHOICE:
        values = [option.value for option in question.options]
        unknown = _junk_text(question)
        choices.append(
            st.lists(st.one_of(st.sampled_from(values), unknown), min_size=1, max_size=3)
        )
        choices.append(st.sampled_from(values).map(lambda v: [v, v]))
    elif question.options or kind is QuestionType.YES_NO:
        choices.append(_junk_text(question))
        if question.options and isinstance(question.options[0].value, int):
            choices.append(st.integers(-3, 99).filter(lambda n: question.option(n) is None))
    elif question.max_length is not None:
        choices.append(st.just("x" * (question.max_length + 1)))
    return st.one_of(*choices) if choices else _valid(question)


def _answer(question: Question, clean: bool) -> st.SearchStrategy[Any]:
    if question.type is QuestionType.GROUP:
        return _object(question.children, clean)
    if question.type is QuestionType.REPEATING_GROUP:
        limit = (question.max_items or 3) + (0 if clean else 1)
        return st.lists(_object(question.children, clean), max_size=min(limit, 4))
    if clean:
        return _valid(question)
    return st.integers(0, 5).flatmap(lambda n: _invalid(question) if n == 0 else _valid(question))


def _object(children: tuple[Question, ...], clean: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            child.name: _answer(child, clean) for child in children if child.type.takes_answer
        },
    )


def encode(children: tuple[Question, ...], answers: dict[str, Any], prefix: str) -> MultiDict:
    """What a browser (or a tampered page) posts for ``answers``."""
    data: MultiDict[str, str] = MultiDict()
    for child in children:
        if child.name not in answers:
            continue
        value = answers[child.name]
        name = f"{prefix}-{encode_name(child.name)}"
        if child.type is QuestionType.GROUP:
            data.update(encode(child.children, value, name))
        elif child.type is QuestionType.REPEATING_GROUP:
            data.add(f"{name}-{LIST_MARKER}", "1")
            for index, item in enumerate(value):
                data.add(f"{name}-{index}-{ITEM_MARKER}", "1")
                data.update(encode(child.children, item, f"{name}-{index}"))
        elif child.type is QuestionType.DATE:
            match = re.fullmatch(ISO, value)
            parts = list(reversed(value.split("-"))) if match else [value, "", ""]
            data.setlist(name, parts)
        elif child.type is QuestionType.MULTIPLE_CHOICE:
            codes = [encode_value(v) for v in value] or [none_code_for(child) or ""]
            data.setlist(name, codes)
        else:
            data.add(name, encode_value(value))
    return data


def _without_empty_groups(question: Question, answers: dict[str, Any]) -> dict[str, Any]:
    """``answers`` with empty groups left out: a group with nothing answered is unanswered."""
    result = {}
    for child in question.children:
        if child.name not in answers:
            continue
        value = answers[child.name]
        if child.type is QuestionType.GROUP:
            value = _without_empty_groups(child, value)
            if not value:
                continue
        elif child.type is QuestionType.REPEATING_GROUP:
            value = [_without_empty_groups(child, item) for item in value]
        result[child.name] = value
    return result


def _without_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (copy.deepcopy(value) if key == "if" else _without_required(value))
            for key, value in node.items()
            if key not in ("required", "dependentRequired")
        }
    if isinstance(node, list):
        return [_without_required(item) for item in node]
    return node


def _oracle(catalogue: Catalogue, document: dict[str, Any], draft: bool) -> Draft202012Validator:
    documents = [dict(c.document) for _key, c in catalogue.compiled.items()] + [document]
    if draft:
        documents = [_without_required(d) for d in documents]
    registry: Registry[Any] = Registry().with_resources(
        (d["$id"], DRAFT202012.create_resource(d)) for d in documents
    )
    main = documents[-1]
    return Draft202012Validator(
        main, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _check(catalogue: Catalogue, questionnaire: CompiledQuestionnaire, section: Question) -> None:
    oracles = {
        draft: _oracle(catalogue, copy.deepcopy(dict(questionnaire.document)), draft)
        for draft in (True, False)
    }
    prefix = encode_name(section.name)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(answers=st.one_of(_object(section.children, True), _object(section.children, False)))
    def check(answers: dict[str, Any]) -> None:
        # A page cannot post an empty group: a group with nothing answered is unanswered.
        answers = _without_empty_groups(section, answers)
        data = encode(section.children, answers, prefix)
        shown = questionnaire.prune({section.name: answers})
        for complete in (False, True):
            result = read_section(questionnaire, section.name, {}, data, complete=complete)
            errors = [
                e
                for e in oracles[not complete].iter_errors(shown)
                if list(e.absolute_path)[:1] == [section.name]
            ]
            assert result.ok == (not errors), (complete, result.errors, [e.message for e in errors])
            if result.ok:
                assert result.answers[section.name] == shown[section.name]

    check()


JOINT_SECTIONS = [
    "about",
    "consent",
    "health",
    "falls",
    "personal_care",
    "daily_living",
    "mood",
    "memory",
    "carer",
    "home",
    "social",
    "summary",
]


@pytest.mark.parametrize("section", JOINT_SECTIONS)
def test_the_form_accepts_what_the_schema_accepts(
    catalogue: Catalogue, joint: CompiledQuestionnaire, section: str
) -> None:
    assert [s.name for s in joint.structure.sections] == JOINT_SECTIONS
    _check(catalogue, joint, next(s for s in joint.structure.sections if s.name == section))


def test_the_form_accepts_what_the_schema_accepts_for_every_question_type(
    catalogue: Catalogue, sink: CompiledQuestionnaire
) -> None:
    assert kitchen_sink()["$id"] == sink.uri
    _check(catalogue, sink, sink.structure.sections[0])
