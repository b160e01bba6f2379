"""Conditions over answers, scores and flags; decision tables with each hit policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assessment_engine.scoring.compiler import CompiledRuleset
from assessment_engine.scoring.errors import RulesetError

from .conftest import PHQ9, phq_answers

Compile = Callable[..., CompiledRuleset]

ITEM9 = {
    "id": "item9",
    "kind": "condition",
    "title": "Thoughts of self-harm",
    "when": {">": [{"var": "/phq9/item9"}, 0]},
    "flag": "self_harm_risk",
}


@pytest.mark.parametrize(("answer", "fired"), [(0, False), (1, True), (3, True), (None, False)])
def test_condition_sets_a_flag(compile_rules: Compile, answer: int | None, fired: bool) -> None:
    decision = compile_rules([ITEM9]).evaluate(phq_answers([0] * 8 + [answer]))
    assert ("self_harm_risk" in decision.flags) is fired
    assert decision.trace[0].fired is fired
    assert decision.trace[0].inputs == {"/phq9/item9": answer}


def test_because_templates_show_the_persons_answer(compile_rules: Compile) -> None:
    rule = {
        "id": "help",
        "kind": "condition",
        "when": {"==": [{"var": "/home/help"}, "lots"]},
        "flag": "needs_help",
        "because": "Needs help: {/home/help}",
    }
    decision = compile_rules([rule]).evaluate({"home": {"help": "lots"}})
    assert decision.trace[0].because == "Needs help: A lot of help (lots)"


def test_conditions_read_scores_bands_and_flags(compile_rules: Compile) -> None:
    rules = [
        {"id": "total", "kind": "weighted_sum", "items": PHQ9, "output": "total"},
        ITEM9,
        {
            "id": "either",
            "kind": "condition",
            "when": {
                "or": [{">=": [{"var": "scores.total"}, 10]}, {"var": "flags.self_harm_risk"}]
            },
            "flag": "needs_follow_up",
        },
    ]
    ruleset = compile_rules(rules)
    assert "needs_follow_up" in ruleset.evaluate(phq_answers([2] * 5 + [0] * 4)).flags
    assert "needs_follow_up" in ruleset.evaluate(phq_answers([0] * 8 + [1])).flags
    quiet = ruleset.evaluate(phq_answers([1] * 8 + [0]))
    assert quiet.flags == ()
    # an absent score reads as null, which is never >= 10
    assert "needs_follow_up" not in ruleset.evaluate({}).flags


def table(policy: str, rows: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return [
        {"id": "help-score", "kind": "weighted_sum", "items": ["/home/help"], "output": "help"},
        {
            "id": "table",
            "kind": "decision_table",
            "title": "Priority",
            "inputs": [
                {"name": "help", "value": {"var": "scores.help"}},
                {"name": "alone", "value": {"var": "/home/alone"}},
            ],
            "hit_policy": policy,
            "rows": rows,
            **extra,
        },
    ]


ROWS = [
    {"when": {"help": {">=": 1}}, "then": "moderate"},
    {"when": {"help": 2, "alone": True}, "then": "critical"},
    {"when": {"help": {"between": [1, 2]}}, "then": "low"},
]
ORDER = ["critical", "substantial", "moderate", "low"]


@pytest.mark.parametrize(
    ("policy", "answers", "expected"),
    [
        ("first", {"help": "lots", "alone": True}, "moderate"),
        ("priority", {"help": "lots", "alone": True}, "critical"),
        ("priority", {"help": "lots", "alone": False}, "moderate"),
        ("priority", {"help": "none"}, None),
    ],
)
def test_hit_policies_first_and_priority(
    compile_rules: Compile, policy: str, answers: dict[str, Any], expected: str | None
) -> None:
    rules = table(policy, ROWS, output="bands.level", output_values=ORDER)
    decision = compile_rules(rules).evaluate({"home": answers})
    assert decision.bands.get("level") == expected


def test_priority_explanation_names_the_winning_row(compile_rules: Compile) -> None:
    rules = table("priority", ROWS, output="bands.level", output_values=ORDER)
    decision = compile_rules(rules).evaluate({"home": {"help": "lots", "alone": True}})
    because = decision.trace[-2].because
    assert because.startswith("Priority critical because row 2 applies: help is 2 and alone is yes")


def test_collect_with_aggregates_and_flags(compile_rules: Compile) -> None:
    rows = [
        {"when": {"help": {">=": 1}}, "then": 3},
        {"when": {"alone": True}, "then": 4},
        {"when": {"alone": False}, "then": 100},
    ]
    summed = compile_rules(table("collect", rows, output="scores.risk", aggregate="sum"))
    assert summed.evaluate({"home": {"help": "some", "alone": True}}).scores["risk"] == 7
    counted = compile_rules(table("collect", rows, output="scores.risk", aggregate="count"))
    assert counted.evaluate({"home": {"help": "some", "alone": True}}).scores["risk"] == 2
    flag_rows = [
        {"when": {"help": {">=": 1}}, "then": "needs_help"},
        {"when": {"alone": True}, "then": "lives_alone"},
    ]
    flagged = compile_rules(table("collect", flag_rows, output="flags"))
    assert flagged.evaluate({"home": {"help": "lots", "alone": True}}).flags == (
        "needs_help",
        "lives_alone",
    )


def test_number_tests_never_match_unanswered_inputs(compile_rules: Compile) -> None:
    rows = [
        {"when": {"help": {"<": 1}}, "then": "low"},
        {"when": {"help": None}, "then": "unknown"},
    ]
    ruleset = compile_rules(table("first", rows, output="bands.level", default="none"))
    assert ruleset.evaluate({}).bands["level"] == "unknown"
    assert ruleset.evaluate({"home": {"help": "none"}}).bands["level"] == "low"
    assert ruleset.evaluate({"home": {"help": "lots"}}).bands["level"] == "none"


@pytest.mark.parametrize(
    ("extra", "rows", "pointer", "message"),
    [
        (
            {"output": "bands.level"},
            [{"when": {"helps": 1}, "then": "x"}],
            "/rules/1/rows/0/when/helps",
            "unknown input",
        ),
        (
            {"output": "bands.level"},
            [{"when": {}, "then": 3}],
            "/rules/1/rows/0/then",
            "must be a string",
        ),
        (
            {"output": "bands.level", "output_values": ["a"]},
            [{"when": {}, "then": "b"}],
            "/rules/1/rows/0/then",
            "not one of",
        ),
        (
            {"output": "scores.x"},
            [{"when": {}, "then": 1}],
            "/rules/1/aggregate",
            "needs an aggregate",
        ),
    ],
)
def test_table_problems(
    compile_rules: Compile,
    extra: dict[str, Any],
    rows: list[dict[str, Any]],
    pointer: str,
    message: str,
) -> None:
    policy = "collect" if extra["output"] == "scores.x" else "first"
    with pytest.raises(RulesetError) as raised:
        compile_rules(table(policy, rows, **extra))
    assert [(p.pointer, message in p.message) for p in raised.value.problems] == [(pointer, True)]


def test_priority_policy_needs_output_values(compile_rules: Compile) -> None:
    with pytest.raises(RulesetError) as raised:
        compile_rules(table("priority", ROWS, output="bands.level"))
    assert raised.value.problems[0].pointer == "/rules/1/output_values"
