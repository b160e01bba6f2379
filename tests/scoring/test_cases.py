"""run_cases: reports each unmet expectation in words, and malformed cases without raising."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assessment_engine.scoring.cases import run_cases
from assessment_engine.scoring.compiler import CompiledRuleset

Bundled = Callable[[str], CompiledRuleset]
SEVERE = {"phq9": {f"item{i}": 3 for i in range(1, 10)}}


def test_passing_and_failing_expectations(bundled: Bundled) -> None:
    cases = {
        "cases": [
            {
                "name": "right",
                "given": SEVERE,
                "expect": {
                    "route": "health",
                    "priority": "critical",
                    "flags": ["self_harm_risk"],
                    "services": ["community-mental-health", "crisis-mental-health"],
                    "scores": {"phq9_total": 27},
                    "bands": {"phq9": "severe"},
                },
            },
            {
                "name": "wrong",
                "given": SEVERE,
                "expect": {
                    "route": "community",
                    "priority": "low",
                    "flags": ["nope"],
                    "not_flags": ["self_harm_risk"],
                    "services": ["befriending"],
                    "scores": {"phq9_total": 26, "other": None},
                    "bands": {"phq9": None},
                },
            },
        ]
    }
    right, wrong = run_cases(bundled("phq-9"), cases)
    assert right.passed and str(right) == "PASS right"
    assert not wrong.passed
    assert wrong.failures == (
        "route is health, expected community",
        "priority is critical, expected low",
        "flag(s) nope not set (set: self_harm_risk, mood_severe, mood_needs_support)",
        "flag(s) self_harm_risk set but should not be",
        "services are [community-mental-health, crisis-mental-health], expected [befriending]",
        "scores.phq9_total is 27, expected 26",
        "bands.phq9 is severe, expected None",
    )
    assert str(wrong).startswith("FAIL wrong (/cases/1): route is health")


def test_malformed_cases_fail_without_hiding_the_others(bundled: Bundled) -> None:
    results = run_cases(
        bundled("phq-9"),
        [
            "not a case",
            {"name": "no given", "expect": {"route": "health"}},
            {"name": "typo", "given": {}, "expect": {"rout": "health"}},
            {"name": "ok", "given": {}, "expect": {"route": "community"}},
        ],
    )
    assert [r.passed for r in results] == [False, False, False, True]
    assert results[1].failures == ("'given' must be an answers object",)
    assert results[2].failures == ("unknown expectation(s) rout",)


def test_a_case_whose_given_is_refused_fails_unless_it_is_exempt(bundled: Bundled) -> None:
    def validate(given: Any) -> dict[str, list[str]]:
        return {"/phq9/item9": ["Select an answer"]} if "item9" not in given["phq9"] else {}

    unanswered = {k: v for k, v in SEVERE["phq9"].items() if k != "item9"}
    cases = [
        {"name": "valid", "given": SEVERE, "expect": {"scores": {"phq9_total": 27}}},
        {
            "name": "refused",
            "given": {"phq9": unanswered},
            "expect": {"scores": {"phq9_total": 27}},
        },
        {"name": "known", "given": {"phq9": unanswered}, "expect": {"route": "health"}},
    ]
    valid, refused, known = run_cases(bundled("phq-9"), cases, validate=validate, exempt={"known"})
    assert valid.passed and known.passed
    assert refused.failures == (
        "given /phq9/item9 is refused by the questionnaire: Select an answer",
    )
    assert refused.decision is not None  # still evaluated: every other failure is listed too


def test_a_case_can_expect_each_referrals_urgency_and_priority(bundled: Bundled) -> None:
    crisis = {"service": "crisis-mental-health", "urgency": "same_day", "priority": "critical"}
    cases = [
        {"name": "right", "given": SEVERE, "expect": {"referrals": [crisis]}},
        {
            "name": "wrong",
            "given": SEVERE,
            "expect": {
                "referrals": [
                    {**crisis, "urgency": "routine"},
                    {"service": "community-mental-health", "priority": "low"},
                    {"service": "befriending"},
                ]
            },
        },
        {"name": "malformed", "given": SEVERE, "expect": {"referrals": [{"urgency": "soon"}]}},
    ]
    right, wrong, malformed = run_cases(bundled("phq-9"), cases)
    assert right.passed
    assert wrong.failures == (
        "referral to crisis-mental-health: urgency is same_day, expected routine",
        "referral to community-mental-health: priority is substantial, expected low",
        "no referral to befriending, expected one",
    )
    assert malformed.failures[0].startswith("'referrals' must be a list of objects")
