"""Two keywords of questionnaire documents: ``x-not-after`` (a date that may not be after
another answer's date, which JSON Schema cannot say) and ``minProperties`` on a group (at
least N of its questions answered, checked on submission only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assessment_engine.questionnaires.catalogue import load_directory
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire

SchemaDir = Callable[..., Path]


def _document(minimal_document: Callable[..., dict[str, Any]], **limit: Any) -> dict[str, Any]:
    return minimal_document(
        properties={
            "seen_on": {"type": "string", "format": "date", "title": "Date of this visit"},
            "events": {
                "type": "array",
                "title": "Events",
                "items": {
                    "type": "object",
                    "title": "Event",
                    "properties": {
                        "date": {"type": "string", "format": "date", "title": "When", **limit}
                    },
                    "additionalProperties": False,
                },
            },
            "scores": {
                "type": "object",
                "title": "Three questions",
                "properties": {
                    name: {"type": "integer", "title": name, "minimum": 0, "maximum": 3}
                    for name in ("a", "b", "c")
                },
                "minProperties": 2,
                "additionalProperties": False,
            },
        },
        required=["seen_on", "scores"],
    )


@pytest.fixture
def tiny(schema_dir: SchemaDir, minimal_document: Callable[..., Any]) -> CompiledQuestionnaire:
    document = _document(minimal_document, **{"x-not-after": "/about/seen_on"})
    catalogue = load_directory(schema_dir({"tiny/v1.json": document}))
    assert catalogue.problems == ()
    return catalogue.get("tiny", 1)


def answers(*dates: str, seen_on: str | None = "2025-06-03", **scores: int) -> dict[str, Any]:
    about: dict[str, Any] = {
        "events": [{"date": d} for d in dates],
        "scores": scores or {"a": 1, "b": 1},
    }
    if seen_on is not None:
        about["seen_on"] = seen_on
    return {"about": about}


@pytest.mark.parametrize("complete", [True, False])
def test_a_date_after_the_date_it_names_is_refused_even_in_a_draft(
    tiny: CompiledQuestionnaire, complete: bool
) -> None:
    errors = tiny.validate(answers("2025-06-03", "2025-06-04"), complete=complete)
    assert errors == {
        "/about/events/1/date": [
            "Must be on or before the \u2018Date of this visit\u2019 (3 June 2025)"
        ]
    }


def test_the_same_day_or_earlier_is_accepted(tiny: CompiledQuestionnaire) -> None:
    assert tiny.validate(answers("2025-06-03", "1990-01-01"), complete=True) == {}


def test_nothing_is_compared_until_the_date_it_names_is_answered(
    tiny: CompiledQuestionnaire,
) -> None:
    assert tiny.validate(answers("2030-01-01", seen_on=None), complete=False) == {}


def test_a_date_that_is_not_a_date_gets_the_usual_message_only(
    tiny: CompiledQuestionnaire,
) -> None:
    errors = tiny.validate(answers("2030-02-31"), complete=False)
    assert errors == {"/about/events/0/date": ["Enter a real date, for example 2025-03-27"]}


@pytest.mark.parametrize("target", ["/about/nothing", "/about/scores/a", "/about/events/*/date"])
def test_x_not_after_must_name_a_date_question_outside_repeats(
    schema_dir: SchemaDir, minimal_document: Callable[..., Any], target: str
) -> None:
    document = _document(minimal_document, **{"x-not-after": target})
    catalogue = load_directory(schema_dir({"tiny/v1.json": document}))
    (problem,) = catalogue.problems
    assert problem.pointer.endswith("/date/x-not-after")
    assert "x-not-after must name a date question" in problem.message


def test_x_not_after_is_refused_on_a_question_that_is_not_a_date(
    schema_dir: SchemaDir, minimal_document: Callable[..., Any]
) -> None:
    document = _document(minimal_document)
    document["properties"]["about"]["properties"]["scores"]["properties"]["a"]["x-not-after"] = (
        "/about/seen_on"
    )
    catalogue = load_directory(schema_dir({"tiny/v1.json": document}))
    assert any("x-not-after" in problem.pointer for problem in catalogue.problems)


def test_min_properties_on_a_group_is_checked_on_submission_only(
    tiny: CompiledQuestionnaire,
) -> None:
    one = answers(a=2)
    assert tiny.validate(one, complete=False) == {}
    assert tiny.validate(one, complete=True) == {
        "/about/scores": ["Answer at least 2 of these 3 questions"]
    }
    assert tiny.validate(answers(a=2, c=0), complete=True) == {}
