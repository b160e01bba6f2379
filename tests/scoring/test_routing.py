"""The route step: referrals, route, priority, urgency, one referral per service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assessment_engine.scoring.compiler import CompiledRuleset
from assessment_engine.scoring.errors import RulesetError

Compile = Callable[..., CompiledRuleset]


def referral(line_id: str, service: str, when: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": line_id,
        "when": when,
        "service": service,
        "urgency": "routine",
        "priority": "moderate",
        **extra,
    }


def routing(*lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "routing", "kind": "route", "referrals": list(lines), **extra}


def flag(name: str, pointer: str) -> dict[str, Any]:
    return {"id": name, "kind": "condition", "when": {"var": pointer}, "flag": name}


SETUP = [flag("h", "/home/alone"), flag("s", "/home/help"), flag("c", "/home/notes")]
LINES = [
    referral(
        "nurse", "district-nursing", {"var": "flags.h"}, urgency="urgent", priority="substantial"
    ),
    referral("care", "home-care", {"var": "flags.s"}, priority="moderate"),
    referral("club", "lunch-club", {"var": "flags.c"}, priority="low"),
]


@pytest.mark.parametrize(
    ("home", "route", "priority", "slugs"),
    [
        ({"alone": True}, "health", "substantial", ["district-nursing"]),
        ({"help": "some"}, "social_care", "moderate", ["home-care"]),
        ({"alone": True, "help": "some"}, "both", "substantial", ["district-nursing", "home-care"]),
        ({"notes": "likes company"}, "community", "low", ["lunch-club"]),
        ({"help": "some", "notes": "x"}, "social_care", "moderate", ["home-care", "lunch-club"]),
        ({}, "community", "no_risk", []),
    ],
)
def test_route_and_priority_follow_the_services_referred(
    compile_rules: Compile, home: dict[str, Any], route: str, priority: str, slugs: list[str]
) -> None:
    decision = compile_rules([*SETUP, routing(*LINES)]).evaluate({"home": home})
    assert (decision.route.value, decision.priority.value) == (route, priority)
    assert decision.service_slugs == slugs


def test_one_referral_per_service_with_the_most_urgent_urgency(compile_rules: Compile) -> None:
    lines = [
        referral("a", "home-care", {"var": "flags.s"}),
        referral("b", "home-care", {"var": "flags.h"}, urgency="same_day", priority="critical"),
        referral("c", "lunch-club", True, urgency="urgent"),
    ]
    decision = compile_rules([*SETUP, routing(*lines)]).evaluate(
        {"home": {"alone": True, "help": "x"}}
    )
    assert [s.to_dict() for s in decision.services] == [
        {
            "service": "home-care",
            "organisation": "perth-kinross-council",
            "urgency": "same_day",
            "priority": "critical",
        },
        {
            "service": "lunch-club",
            "organisation": "community-link",
            "urgency": "urgent",
            "priority": "moderate",
        },
    ]
    assert decision.priority.value == "critical"
    assert [t.rule for t in decision.trace if t.fired][-4:] == [
        "routing/a",
        "routing/b",
        "routing/c",
        "routing",
    ]


def test_priority_may_come_from_a_band(compile_rules: Compile) -> None:
    rules = [
        {
            "id": "level",
            "kind": "decision_table",
            "inputs": [{"name": "h", "value": {"var": "/home/help"}}],
            "output": "bands.level",
            "hit_policy": "first",
            "rows": [
                {"when": {"h": "lots"}, "then": "critical"},
                {"when": {"h": "some"}, "then": "not-a-priority"},
            ],
        },
        routing(
            referral("care", "home-care", {"!!": {"var": "bands.level"}}, priority="bands.level")
        ),
    ]
    ruleset = compile_rules(rules)
    assert ruleset.evaluate({"home": {"help": "lots"}}).priority.value == "critical"
    odd = ruleset.evaluate({"home": {"help": "some"}})
    assert odd.service_slugs == ["home-care"]
    assert odd.priority.value == "no_risk"  # a band that is not a priority contributes nothing


def test_unknown_services_and_wrong_routes_are_refused(compile_rules: Compile) -> None:
    lines = [
        referral("a", "home-cars", True),
        referral("b", "home-care", True, route="health"),
    ]
    with pytest.raises(RulesetError) as raised:
        compile_rules([routing(*lines)])
    assert [(p.pointer, p.message) for p in raised.value.problems] == [
        ("/rules/0/referrals/0/service", "unknown service 'home-cars'"),
        ("/rules/0/referrals/1/route", "service 'home-care' is a social care service, not health"),
    ]


def test_without_services_each_line_names_its_route(compile_rules: Compile) -> None:
    with pytest.raises(RulesetError, match="give 'route' or the services"):
        compile_rules([routing(referral("a", "anything", True))], services=None)
    ruleset = compile_rules(
        [routing(referral("a", "anything", True, route="health"))], services=None
    )
    decision = ruleset.evaluate({})
    assert decision.route.value == "health"
    assert decision.services[0].to_dict() == {
        "service": "anything",
        "organisation": None,
        "urgency": "routine",
        "priority": "moderate",
    }


def test_decision_object_matches_the_api(compile_rules: Compile) -> None:
    decision = compile_rules([*SETUP, routing(*LINES)]).evaluate({"home": {"alone": True}})
    body = decision.to_dict()
    assert list(body) == [
        "route",
        "priority",
        "scores",
        "bands",
        "flags",
        "services",
        "trace",
        "ruleset",
        "override",
    ]
    assert body["ruleset"] == "test@1"
    assert body["override"] is None
    assert body["trace"][0] == {
        "rule": "h",
        "fired": True,
        "inputs": {"/home/alone": True},
        "because": "h: yes (Lives alone: yes)",
    }
    assert body["trace"][-1]["because"] == (
        "Route health because of referrals to health (district-nursing); "
        "priority substantial from district-nursing"
    )
