"""The rules shipped in form_schemas/: they compile against their questionnaires, their cases
pass, and PHQ-9 / GAD-7 totals and bands agree with the published tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from assessment_engine.scoring.cases import run_cases
from assessment_engine.scoring.compiler import CompiledRuleset
from assessment_engine.scoring.kinds import BUILTIN_KINDS
from assessment_engine.scoring.rules_schema import rules_file_schema

from .conftest import FORM_SCHEMAS

Bundled = Callable[..., CompiledRuleset]
KEYS = ["phq-9", "gad-7", "joint-assessment"]
VERSIONS = [1, 2]


def cases_of_document(key: str, version: int = 1) -> dict[str, Any]:
    path = FORM_SCHEMAS / key / f"v{version}.cases.json"
    return json.loads(path.read_text(encoding="utf-8"))


def cases_of(key: str, version: int = 1) -> list[Any]:
    document = cases_of_document(key, version)
    return [
        pytest.param(key, version, case, id=f"{key}@{version}: {case['name']}")
        for case in document["cases"]
    ]


@pytest.mark.parametrize(
    ("key", "version", "case"), [p for key in KEYS for v in VERSIONS for p in cases_of(key, v)]
)
def test_shipped_cases_pass(bundled: Bundled, key: str, version: int, case: dict[str, Any]) -> None:
    (result,) = run_cases(bundled(key, version), [case])
    assert result.passed, str(result)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_route_and_priority_is_reached_by_a_joint_case(
    bundled: Bundled, version: int
) -> None:
    results = run_cases(
        bundled("joint-assessment", version), cases_of_document("joint-assessment", version)
    )
    assert all(r.passed for r in results)
    reached = {(r.decision.route.value, r.decision.priority.value) for r in results if r.decision}
    assert {route for route, _ in reached} == {"health", "social_care", "both", "community"}
    assert {p for _, p in reached} == {"critical", "substantial", "moderate", "low", "no_risk"}


PHQ9_TABLE = [
    (0, 4, "minimal"),
    (5, 9, "mild"),
    (10, 14, "moderate"),
    (15, 19, "moderately_severe"),
    (20, 27, "severe"),
]
GAD7_TABLE = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]


def published_band(table: list[tuple[int, int, str]], total: int) -> str:
    return next(band for low, high, band in table if low <= total <= high)


def spread(total: int, count: int) -> list[int]:
    """``count`` item answers (0-3) adding up to ``total``."""
    return [min(3, max(0, total - 3 * i)) for i in range(count)]


@pytest.mark.parametrize("total", [0, 4, 5, 9, 10, 14, 15, 19, 20, 27])
@pytest.mark.parametrize(
    ("key", "prefix"), [("phq-9", ("phq9",)), ("joint-assessment", ("mood", "phq9"))]
)
def test_phq9_boundaries(bundled: Bundled, key: str, prefix: tuple[str, ...], total: int) -> None:
    answers: dict[str, Any] = {f"item{i + 1}": v for i, v in enumerate([*spread(total, 8), 0])}
    for name in reversed(prefix):
        answers = {name: answers}
    if total > 24:  # 8 items give at most 24; item 9 takes the rest
        answers = json.loads(json.dumps(answers).replace('"item9": 0', f'"item9": {total - 24}'))
    decision = bundled(key).evaluate(answers)
    assert decision.scores["phq9_total"] == total
    assert decision.bands["phq9"] == published_band(PHQ9_TABLE, total)


@pytest.mark.parametrize("total", [0, 4, 5, 9, 10, 14, 15, 21])
def test_gad7_boundaries(bundled: Bundled, total: int) -> None:
    answers = {"gad7": {f"item{i + 1}": v for i, v in enumerate(spread(total, 7))}}
    decision = bundled("gad-7").evaluate(answers)
    assert decision.scores["gad7_total"] == total
    assert decision.bands["gad7"] == published_band(GAD7_TABLE, total)


item = st.integers(min_value=0, max_value=3)


@settings(max_examples=300, deadline=None)
@given(st.lists(item, min_size=9, max_size=9))
def test_phq9_total_and_band_property(bundled: Bundled, values: list[int]) -> None:
    decision = bundled("phq-9").evaluate(
        {"phq9": {f"item{i + 1}": v for i, v in enumerate(values)}}
    )
    assert decision.scores["phq9_total"] == sum(values)
    assert decision.bands["phq9"] == published_band(PHQ9_TABLE, sum(values))
    assert ("self_harm_risk" in decision.flags) is (values[8] > 0)
    if values[8] > 0:
        assert decision.priority.value == "critical"
        assert decision.route.value == "health"
        assert "crisis-mental-health" in decision.service_slugs
        crisis = next(s for s in decision.services if s.service == "crisis-mental-health")
        assert crisis.urgency == "same_day"


@settings(max_examples=200, deadline=None)
@given(st.lists(item, min_size=7, max_size=7))
def test_gad7_total_and_band_property(bundled: Bundled, values: list[int]) -> None:
    decision = bundled("gad-7").evaluate(
        {"gad7": {f"item{i + 1}": v for i, v in enumerate(values)}}
    )
    assert decision.scores["gad7_total"] == sum(values)
    assert decision.bands["gad7"] == published_band(GAD7_TABLE, sum(values))
    assert ("community-mental-health" in decision.service_slugs) is (sum(values) >= 15)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), item), min_size=9, max_size=9))
def test_phq9_with_unanswered_items_never_fails(bundled: Bundled, values: list[int | None]) -> None:
    answers = {"phq9": {f"item{i + 1}": v for i, v in enumerate(values) if v is not None}}
    decision = bundled("phq-9").evaluate(answers)
    missing = values.count(None)
    if missing > 2:
        assert "phq9_total" not in decision.scores
        assert "phq9" not in decision.bands
    else:
        answered = [v for v in values if v is not None]
        expected = int(sum(answered) * 9 / len(answered) + 0.5)
        assert decision.scores["phq9_total"] == expected


def test_example_decision_for_a_realistic_client(bundled: Bundled) -> None:
    answers = json.loads(
        (
            FORM_SCHEMAS / "joint-assessment/examples/depression-with-self-harm-thoughts.json"
        ).read_text()
    )
    decision = bundled("joint-assessment").evaluate(answers).to_dict()
    trace = {entry["rule"]: entry for entry in decision["trace"]}
    assert trace["phq9-band"]["because"] == "PHQ-9 total 21 (severe) because 20 to 27 is severe"
    assert trace["phq9-item9"]["inputs"] == {"/mood/phq9/item9": 2}
    assert trace["phq9-item9"]["because"].startswith(
        "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered "
        "More than half the days (2)"
    )
    assert decision["services"][0] == {
        "service": "crisis-mental-health",
        "organisation": "nhs-tayside",
        "urgency": "same_day",
        "priority": "critical",
    }
    assert decision["ruleset"] == "joint-assessment@1"


def test_rules_schema_file_matches_the_builtin_kinds() -> None:
    on_disk = json.loads((FORM_SCHEMAS / "_meta/rules.schema.json").read_text())
    assert on_disk == rules_file_schema(BUILTIN_KINDS), (
        "form_schemas/_meta/rules.schema.json is stale: regenerate it from rules_file_schema()"
    )
    validator = Draft202012Validator(on_disk)
    for path in sorted(FORM_SCHEMAS.glob("*/v*.rules.json")):
        assert list(validator.iter_errors(json.loads(path.read_text()))) == [], path


def test_every_rules_file_has_cases() -> None:
    for path in FORM_SCHEMAS.glob("*/v*.rules.json"):
        cases = Path(str(path).replace(".rules.json", ".cases.json"))
        assert cases.exists(), f"{path.name} has no cases file"
        assert json.loads(cases.read_text())["cases"], cases


def test_service_catalogue_lists_the_demo_services(bundled: Bundled) -> None:
    entries = json.loads((FORM_SCHEMAS / "services.json").read_text())
    assert {e["organisation"] for e in entries} == {
        "nhs-tayside",
        "perth-kinross-council",
        "community-link",
    }
    assert len(entries) == 11
    referred = {
        line["service"]
        for rule in json.loads((FORM_SCHEMAS / "joint-assessment/v1.rules.json").read_text())[
            "rules"
        ]
        if rule["kind"] == "route"
        for line in rule["referrals"]
    }
    assert referred == {e["slug"] for e in entries}
