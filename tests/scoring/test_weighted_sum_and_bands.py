"""Weighted sums (each unanswered policy) and bands (thresholds checked at compile time)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assessment_engine.scoring.compiler import CompiledRuleset
from assessment_engine.scoring.errors import RulesetError

from .conftest import PHQ9, phq_answers

Compile = Callable[..., CompiledRuleset]


def total(policy: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "total",
        "kind": "weighted_sum",
        "items": PHQ9,
        "output": "total",
        "unanswered": policy,
        **extra,
    }


@pytest.mark.parametrize(
    ("policy", "values", "expected"),
    [
        ("require", [1] * 9, 9),
        ("require", [1] * 8 + [None], None),
        ("skip", [2] * 7 + [None, None], 14),
        ("skip", [None] * 9, None),
        ("zero", [2] * 7 + [None, None], 14),
        ("zero", [None] * 9, 0),
        # 14 from 7 of 9 items scales to 18
        ("prorate", [2] * 7 + [None, None], 18),
        # 10 from 8 items: 11.25 rounds to 11; 13 from 8: 14.625 rounds to 15
        ("prorate", [2, 2, 2, 1, 1, 1, 1, 0, None], 11),
        ("prorate", [2, 2, 2, 2, 2, 1, 1, 1, None], 15),
        ("prorate", [None] * 9, None),
    ],
)
def test_unanswered_policies(
    compile_rules: Compile, policy: str, values: list[int | None], expected: int | None
) -> None:
    decision = compile_rules([total(policy)]).evaluate(phq_answers(values))
    assert decision.scores.get("total") == expected
    (entry,) = [t for t in decision.trace if t.rule == "total"]
    assert entry.fired is (expected is not None)
    assert entry.inputs["/phq9/item1"] == values[0]


def test_max_missing_makes_the_score_absent_and_says_why(compile_rules: Compile) -> None:
    ruleset = compile_rules([total("prorate", max_missing=2)])
    decision = ruleset.evaluate(phq_answers([3] * 6 + [None] * 3))
    assert "total" not in decision.scores
    assert decision.trace[0].because == (
        "total not calculated: 3 of 9 questions unanswered, at most 2 allowed"
    )


def test_prorating_is_explained(compile_rules: Compile) -> None:
    rule = total("prorate", title="PHQ-9 total")
    decision = compile_rules([rule]).evaluate(phq_answers([2] * 8 + [None]))
    assert decision.scores["total"] == 18
    assert decision.trace[0].because == (
        "PHQ-9 total 18: the sum of 8 answered questions (16), scaled up for 1 unanswered "
        "and rounded to 18"
    )


def test_weights_scores_and_value_scores(compile_rules: Compile) -> None:
    rules = [
        {
            "id": "weighted",
            "kind": "weighted_sum",
            "items": {"/phq9/item1": 2, "/home/help": 1.5, "/home/alone": 1, "/home/aids": 1},
            "output": "weighted",
            "unanswered": "zero",
        },
        {
            "id": "needs",
            "kind": "weighted_sum",
            "items": ["/home/help"],
            "output": "needs",
            "value_scores": {"none": 0, "some": 1, "lots": 1},
        },
    ]
    ruleset = compile_rules(rules)
    answers = {
        "phq9": {"item1": 3},
        "home": {"help": "lots", "alone": True, "aids": ["stick", "frame"]},
    }
    decision = ruleset.evaluate(answers)
    assert decision.scores == {"weighted": 2 * 3 + 1.5 * 2 + 1 + 3, "needs": 1}


def test_answers_that_have_no_score_count_as_unanswered(compile_rules: Compile) -> None:
    ruleset = compile_rules([total("skip")])
    answers = {"phq9": {"item1": 2, "item2": "often", "item3": True, "item4": [1], "item5": 1}}
    assert ruleset.evaluate(answers).scores["total"] == 3


def test_unscored_questions_are_refused(compile_rules: Compile) -> None:
    rule = {"id": "t", "kind": "weighted_sum", "items": ["/home/notes"], "output": "t"}
    with pytest.raises(RulesetError) as raised:
        compile_rules([rule])
    (problem,) = raised.value.problems
    assert problem.pointer == "/rules/0/items/0"
    assert "has no scores" in problem.message


PHQ_BANDS = [
    {"band": "minimal", "min": 0, "max": 4},
    {"band": "mild", "min": 5, "max": 9},
    {"band": "moderate", "min": 10, "max": 14},
    {"band": "moderately_severe", "min": 15, "max": 19, "label": "moderately severe"},
    {"band": "severe", "min": 20, "max": 27},
]


def banded(bands: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    band_rule = {
        "id": "band",
        "kind": "bands",
        "title": "PHQ-9 total",
        "score": "total",
        "output": "phq9",
        "bands": bands,
        **extra,
    }
    return [total("skip"), band_rule]


def test_band_explanation_reads_like_an_assessor_would_say_it(compile_rules: Compile) -> None:
    decision = compile_rules(banded(PHQ_BANDS)).evaluate(phq_answers([3, 3, 3, 2]))
    assert decision.bands == {"phq9": "moderate"}
    assert decision.trace[1].because == "PHQ-9 total 11 (moderate) because 10 to 14 is moderate"
    assert decision.trace[1].inputs == {"scores.total": 11}


def test_score_outside_every_band_gives_no_band(compile_rules: Compile) -> None:
    decision = compile_rules(banded(PHQ_BANDS[:2])).evaluate(phq_answers([3, 3, 3, 3]))
    assert decision.bands == {}
    assert "outside 0 to 9" in decision.trace[1].because


@pytest.mark.parametrize(
    ("bands", "pointer", "message"),
    [
        (
            [{"band": "a", "min": 5, "max": 9}, {"band": "b", "min": 0, "max": 4}],
            "/rules/1/bands/1/min",
            "ascending",
        ),
        (
            [{"band": "a", "min": 0, "max": 5}, {"band": "b", "min": 5, "max": 9}],
            "/rules/1/bands/1/min",
            "overlaps",
        ),
        (
            [{"band": "a", "min": 0, "max": 4}, {"band": "b", "min": 6, "max": 9}],
            "/rules/1/bands/1/min",
            "gap",
        ),
        ([{"band": "a", "min": 4, "max": 0}], "/rules/1/bands/0", "above max"),
        (
            [{"band": "a", "min": 0, "max": 4}, {"band": "a", "min": 5, "max": 9}],
            "/rules/1/bands/1/band",
            "twice",
        ),
        ([{"band": "a", "min": 0, "max": 4.5}], "/rules/1/bands/0", "whole numbers"),
    ],
)
def test_invalid_thresholds_are_refused_with_their_pointer(
    compile_rules: Compile, bands: list[dict[str, Any]], pointer: str, message: str
) -> None:
    with pytest.raises(RulesetError) as raised:
        compile_rules(banded(bands))
    assert [p.pointer for p in raised.value.problems] == [pointer]
    assert message in raised.value.problems[0].message


def test_gaps_may_be_allowed_explicitly(compile_rules: Compile) -> None:
    bands = [{"band": "low", "min": 0, "max": 4}, {"band": "high", "min": 10, "max": 27}]
    ruleset = compile_rules(banded(bands, gaps="allow"))
    assert ruleset.evaluate(phq_answers([3, 3, 1])).bands == {}
    assert ruleset.evaluate(phq_answers([3, 3, 3, 1])).bands == {"phq9": "high"}
