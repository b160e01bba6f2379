"""The rules builders and their words: pure functions on the rules and cases documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from assessment_engine.questionnaires import case_editing, rule_editing
from assessment_engine.questionnaires.rule_editing import Band, RuleEditError
from assessment_engine.questionnaires.runtime import registry_of
from assessment_engine.questionnaires.structure import build_structure
from assessment_engine.scoring.cases import CaseResult
from assessment_engine.scoring.services import ServiceSpec

SCHEMAS = Path(__file__).resolve().parents[2] / "form_schemas"
SERVICES = {
    "home-care": ServiceSpec("home-care", "social_care", "perth-kinross-council", "Home care"),
}


def _load(key: str, number: int) -> tuple[Any, dict[str, Any]]:
    document = json.loads((SCHEMAS / key / f"v{number}.json").read_text())
    others = [
        json.loads(path.read_text())
        for path in SCHEMAS.glob("*/v*.json")
        if path.name.count(".") == 1
    ]
    structure, problems = build_structure(document, registry_of(others))
    assert structure is not None and not problems
    rules = json.loads((SCHEMAS / key / f"v{number}.rules.json").read_text())
    return structure, rules


@pytest.fixture(scope="module")
def phq9() -> tuple[Any, dict[str, Any]]:
    return _load("phq-9", 2)


def test_a_banded_sum_is_two_rules_and_the_given_document_is_not_changed(phq9) -> None:
    structure, rules = phq9
    original = copy.deepcopy(rules)
    new = rule_editing.add_banded_sum(
        rules,
        structure,
        title="Sleep and energy",
        pointers=["/phq9/item3", "/phq9/item4"],
        bands=[Band("Low", 0, 2), Band("high", 3, 6)],
    )
    assert rules == original
    total, bands = new["rules"][-2:]
    assert total["output"] == "sleep_and_energy_total" and total["unanswered"] == "require"
    assert bands["score"] == "sleep_and_energy_total" and bands["output"] == "sleep_and_energy"
    assert bands["bands"] == [
        {"band": "low", "min": 0, "max": 2, "label": "Low"},
        {"band": "high", "min": 3, "max": 6},
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "  "}, "title", "Give the total a name"),
        ({"pointers": []}, "questions", "Choose the questions"),
        ({"pointers": ["/phq9/total"]}, "questions", "only questions whose answers have a score"),
        ({"bands": [Band("Low", 3, 1)]}, "bands", "the lowest total is above the highest"),
        ({"bands": [Band("Low", 0, 1), Band("low", 2, 3)]}, "bands", "used twice"),
        ({"title": "PHQ9"}, "title", "already exists"),
    ],
)
def test_a_banded_sum_refuses_on_the_field_to_put_right(phq9, change, field, message) -> None:
    structure, rules = phq9
    given = {
        "title": "Sleep",
        "pointers": ["/phq9/item3"],
        "bands": [Band("Low", 0, 3)],
        **change,
    }
    with pytest.raises(RuleEditError) as refused:
        rule_editing.add_banded_sum(rules, structure, **given)
    assert refused.value.field == field and message in refused.value.message


def test_a_flag_keeps_the_option_value_typed_and_is_said_with_its_label(phq9) -> None:
    structure, rules = phq9
    new = rule_editing.add_flag(
        rules, structure, title="Tired", subject="/phq9/item4", operator="at_least", value="2"
    )
    assert new["rules"][-1]["when"] == {">=": [{"var": "/phq9/item4"}, 2]}
    view = rule_editing.describe(new, structure, SERVICES)[-1]
    assert view.shape == "flag"
    assert view.sentences == (
        (
            "Sets the flag tired when the answer to “Feeling tired or having little energy” "
            "is at least “More than half the days”."
        ),
    )
    with pytest.raises(RuleEditError, match="Choose one of the options"):
        rule_editing.add_flag(
            rules, structure, title="T", subject="/phq9/item4", operator="is", value="7"
        )


def test_a_referral_joins_the_route_rule_and_follows_a_band(phq9) -> None:
    structure, rules = phq9
    banded = rule_editing.add_banded_sum(
        rules, structure, title="Sleep", pointers=["/phq9/item3"], bands=[Band("High", 0, 3)]
    )
    assert ("band:sleep:high", "sleep is in the band High") in rule_editing.referral_triggers(
        banded
    )
    new = rule_editing.add_referral(
        banded,
        SERVICES,
        service="home-care",
        trigger="band:sleep:high",
        urgency="urgent",
        priority="moderate",
    )
    routes = [rule for rule in new["rules"] if rule["kind"] == "route"]
    assert len(routes) == 1 and routes[0]["referrals"][-1]["id"] == "home-care-sleep-high"
    view = next(v for v in rule_editing.describe(new, structure, SERVICES) if v.kind == "route")
    assert view.lines[-1] == (
        "home-care-sleep-high",
        "Refers to Home care (urgent, priority moderate) when the band of sleep is “High”.",
    )
    removed = rule_editing.remove_referral(new, "home-care-sleep-high")
    assert removed["rules"][-3]["referrals"] == rules["rules"][-1]["referrals"]
    with pytest.raises(RuleEditError, match="Choose the flag or band"):
        rule_editing.add_referral(
            rules,
            SERVICES,
            service="home-care",
            trigger="band:x:y",
            urgency="urgent",
            priority="moderate",
        )


def test_rules_the_builders_do_not_make_are_said_in_words_read_only() -> None:
    structure, rules = _load("joint-assessment", 3)
    views = rule_editing.describe(rules, structure, {})
    table = next(v for v in views if v.kind == "decision_table")
    assert table.shape is None and "written in JSON" in table.sentences[0]
    compound = [v for v in views if v.kind == "condition" and v.shape is None]
    assert compound and all("when" in v.sentences[0] for v in compound)


def test_a_case_from_a_decision_and_what_a_failing_case_concerns(phq9) -> None:
    structure, rules = phq9
    cases = case_editing.add_case(
        [],
        name="Nothing wrong",
        given={"phq9": {}},
        expect=case_editing.Expectation("community", "no_risk", (), ()),
    )
    assert cases == {
        "cases": [
            {
                "name": "Nothing wrong",
                "given": {"phq9": {}},
                "expect": {
                    "route": "community",
                    "priority": "no_risk",
                    "services": [],
                    "flags": [],
                },
            }
        ]
    }
    with pytest.raises(RuleEditError, match="already exists"):
        case_editing.add_case(
            cases,
            name="Nothing wrong",
            given={},
            expect=case_editing.Expectation("community", "no_risk", (), ()),
        )
    assert case_editing.remove_case(cases, "Nothing wrong") == {"cases": []}

    class Decided:
        service_slugs = ["community-mental-health"]
        flags = ("mood_severe",)
        route = scores = bands = None

    result = CaseResult("x", "/cases/0", ("a failure",), Decided())  # type: ignore[arg-type]
    concern = case_editing.concerns(
        result, {"services": ["primary-care-mental-health"]}, rules, structure
    )
    assert concern.rules[-1] == "Routing"
    assert "Anxiety or depression needing support (PHQ-9 10 or more)" in concern.rules
    assert "Little interest or pleasure in doing things" in concern.questions
