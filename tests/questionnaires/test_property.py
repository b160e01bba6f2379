"""Property: ``validate`` accepts exactly what JSON Schema accepts, for drafts and submissions.

Answer documents are generated from each bundled questionnaire's question model: mostly valid
answers, with wrong types, out-of-range values, impossible dates, duplicate choices, unknown
fields and missing answers mixed in. The oracle is a separately built jsonschema validator over
the raw documents (for drafts, the same documents with "required" removed outside ``if``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from assessment_engine.questionnaires.catalogue import Catalogue
from assessment_engine.questionnaires.structure import Question, QuestionType

FORM_SCHEMAS = Path(__file__).resolve().parents[2] / "form_schemas"
KEYS = ("phq-9", "gad-7", "joint-assessment")


def _raw(key: str) -> dict[str, Any]:
    return json.loads((FORM_SCHEMAS / key / "v1.json").read_text("utf-8"))


def _without_required(node: Any) -> Any:
    """A copy of a schema with every ``required``/``dependentRequired`` removed outside ``if``."""
    if isinstance(node, dict):
        return {
            key: (copy.deepcopy(value) if key == "if" else _without_required(value))
            for key, value in node.items()
            if key not in ("required", "dependentRequired")
        }
    if isinstance(node, list):
        return [_without_required(item) for item in node]
    return node


def _oracle(key: str, *, draft: bool) -> Draft202012Validator:
    documents = {k: _raw(k) for k in KEYS}
    if draft:
        documents = {k: _without_required(d) for k, d in documents.items()}
    registry: Registry[Any] = Registry().with_resources(
        (d["$id"], DRAFT202012.create_resource(d)) for d in documents.values()
    )
    return Draft202012Validator(
        documents[key], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


ORACLES = {(key, draft): _oracle(key, draft=draft) for key in KEYS for draft in (False, True)}

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.floats(allow_nan=False, width=32),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
)


def _valid(question: Question) -> st.SearchStrategy[Any]:
    kind = question.type
    if question.options and kind is not QuestionType.MULTIPLE_CHOICE:
        return st.sampled_from([option.value for option in question.options])
    if kind is QuestionType.MULTIPLE_CHOICE:
        values = [option.value for option in question.options]
        return st.lists(st.sampled_from(values), unique=True, max_size=min(4, len(values)))
    if kind is QuestionType.YES_NO:
        return st.booleans()
    if kind in (QuestionType.INTEGER, QuestionType.CALCULATED):
        low = int(question.minimum) if question.minimum is not None else -100
        high = int(question.maximum) if question.maximum is not None else 100
        return st.integers(low, high)
    if kind is QuestionType.DECIMAL:
        return st.floats(question.minimum or -100.0, question.maximum or 100.0, allow_nan=False)
    if kind is QuestionType.DATE:
        return st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat)
    if kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        return st.text(max_size=min(question.max_length or 20, 20))
    raise AssertionError(kind)


def _invalid(question: Question) -> st.SearchStrategy[Any]:
    kind = question.type
    special: list[Any] = [JUNK]
    if kind is QuestionType.DATE:
        special.append(st.sampled_from(["2025-02-30", "27/03/2025", "2025-3-1", "20250301"]))
    if kind is QuestionType.MULTIPLE_CHOICE:
        values = [option.value for option in question.options]
        special.append(st.lists(st.sampled_from([*values, "nonsense"]), min_size=2, max_size=4))
    if kind in (QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.CALCULATED):
        bounds = [b for b in (question.minimum, question.maximum) if b is not None]
        special.append(st.sampled_from([b + d for b in bounds for d in (-1, -0.5, 0.5, 1)]))
    if question.max_length is not None:
        special.append(st.just("x" * (question.max_length + 1)))
    return st.one_of(*special)


def _answer(question: Question, *, clean: bool, full: bool = False) -> st.SearchStrategy[Any]:
    if question.type in (QuestionType.SECTION, QuestionType.GROUP):
        return _object(question.children, clean=clean, full=full)
    if question.type is QuestionType.REPEATING_GROUP:
        return st.lists(_object(question.children, clean=clean, full=full), max_size=3)
    if question.type is QuestionType.GUIDANCE:
        return JUNK
    valid = _valid(question)
    if clean:
        return valid
    return st.integers(0, 7).flatmap(lambda n: _invalid(question) if n == 0 else valid)


def _object(
    children: tuple[Question, ...], *, clean: bool, full: bool = False
) -> st.SearchStrategy[Any]:
    """Answers for an object's children; ``full`` always answers every required one."""
    strategies = {
        child.name: _answer(child, clean=clean, full=full)
        for child in children
        if child.type is not QuestionType.GUIDANCE or not clean
    }
    needed = {name for name in strategies if full and _by_name(children)[name].required}
    members = st.fixed_dictionaries(
        {name: strategies[name] for name in needed},
        optional={name: strategies[name] for name in strategies if name not in needed},
    )
    if clean:
        return members
    return st.one_of(
        members,
        members,
        members,
        st.tuples(members, st.text(min_size=1, max_size=8), JUNK).map(
            lambda t: {**t[0], t[1]: t[2]}
        ),
        JUNK,
    )


def _by_name(children: tuple[Question, ...]) -> dict[str, Question]:
    return {child.name: child for child in children}


def answers_for(catalogue: Catalogue, key: str) -> st.SearchStrategy[Any]:
    """Clean drafts, complete answer sets, and answer sets with mistakes (mostly near-valid)."""
    sections = catalogue.get(key, 1).structure.sections
    return st.one_of(
        _object(sections, clean=True),
        _object(sections, clean=True, full=True),
        _object(sections, clean=False),
        _object(sections, clean=False, full=True),
    )


def _pointer(path: Any) -> str:
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in path)


@pytest.mark.parametrize("key", KEYS)
def test_validate_agrees_with_jsonschema(catalogue: Catalogue, key: str) -> None:
    compiled = catalogue.get(key, 1)

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(answers=answers_for(catalogue, key))
    def check(answers: Any) -> None:
        for complete in (True, False):
            oracle = ORACLES[(key, not complete)]
            errors = compiled.validate(answers, complete=complete)
            assert (errors == {}) == oracle.is_valid(answers)
            for error in oracle.iter_errors(answers):
                where = _pointer(error.absolute_path)
                assert any(p == where or p.startswith(where + "/") for p in errors), where

    check()


@pytest.mark.parametrize("key", KEYS)
def test_prune_is_idempotent_and_keeps_only_visible_answers(catalogue: Catalogue, key: str) -> None:
    compiled = catalogue.get(key, 1)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(answers=_object(compiled.structure.sections, clean=True))
    def check(answers: dict[str, Any]) -> None:
        pruned = compiled.prune(answers)
        assert compiled.prune(pruned) == pruned
        visible = compiled.visible_pointers(pruned)
        for pointer in _leaf_pointers(pruned):
            assert pointer in visible, pointer
        assert compiled.validate(pruned, complete=False) == {}

    check()


def _leaf_pointers(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        found = []
        for name, child in value.items():
            pointer = f"{prefix}/{name}"
            found.append(pointer)
            if isinstance(child, list) and child and isinstance(child[0], dict):
                for index, item in enumerate(child):
                    found += _leaf_pointers(item, f"{pointer}/{index}")
            elif isinstance(child, dict):
                found += _leaf_pointers(child, pointer)
        return found
    return []
