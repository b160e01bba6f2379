"""The compiler refuses bad rules with every problem and its pointer, and orders rules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from assessment_engine.scoring.compiler import CompiledRuleset, compile_ruleset
from assessment_engine.scoring.errors import Problem, RulesetError
from assessment_engine.scoring.items import ItemSpec
from assessment_engine.scoring.registry import RuleRegistry

from .conftest import PHQ9, phq_answers

Compile = Callable[..., CompiledRuleset]


def problems_of(compile_rules: Compile, rules: list[dict[str, Any]], **kw: Any) -> list[Problem]:
    with pytest.raises(RulesetError) as raised:
        compile_rules(rules, **kw)
    return raised.value.problems


def test_all_problems_are_reported_at_once(compile_rules: Compile) -> None:
    rules = [
        {
            "id": "total",
            "kind": "weighted_sum",
            "items": ["/phq9/item1", "/phq9/item99"],
            "output": "total",
        },
        {
            "id": "band",
            "kind": "bands",
            "score": "totl",
            "output": "b",
            "bands": [{"band": "x", "min": 0, "max": 3}],
        },
        {"id": "flag", "kind": "condition", "when": {"var": "flags.unknown_flag"}, "flag": "f"},
        {"id": "weird", "kind": "no_such_kind"},
        {"id": "bad", "kind": "condition", "when": True},
        {"id": "total", "kind": "condition", "when": {"var": "/nowhere"}, "flag": "g"},
    ]
    found = {(p.pointer, p.message.split(" (")[0]) for p in problems_of(compile_rules, rules)}
    assert found == {
        ("/rules/0/items/1", "unknown question '/phq9/item99'"),
        ("/rules/1/score", "unknown score 'totl'"),
        ("/rules/2/when/var", "unknown flag 'unknown_flag'"),
        ("/rules/3/kind", "unknown rule kind 'no_such_kind'"),
        ("/rules/4", "'flag' is a required property"),
        ("/rules/5/id", "rule id 'total' is already used by rule 0"),
        ("/rules/5/when/var", "unknown question '/nowhere'"),
    }


def test_schema_errors_point_inside_the_rule(compile_rules: Compile) -> None:
    rules = [
        {"id": "t", "kind": "weighted_sum", "items": PHQ9, "output": "t", "unanswered": "guess"}
    ]
    (problem,) = problems_of(compile_rules, rules)
    assert problem.pointer == "/rules/0/unanswered"


def test_bad_logic_is_refused_with_its_pointer(compile_rules: Compile) -> None:
    rule = {
        "id": "c",
        "kind": "condition",
        "flag": "f",
        "when": {"and": [True, {"method": [{"var": "/phq9/item1"}, "upper"]}]},
    }
    (problem,) = problems_of(compile_rules, [rule])
    assert problem.pointer == "/rules/0/when/and/1/method"


def test_unknown_names_in_conditions_explain_the_naming(compile_rules: Compile) -> None:
    rule = {"id": "c", "kind": "condition", "flag": "f", "when": {"var": "phq9.item1"}}
    (problem,) = problems_of(compile_rules, [rule])
    assert "use a JSON Pointer" in problem.message


def test_cycles_are_refused_naming_the_rules(compile_rules: Compile) -> None:
    rules = [
        {"id": "a", "kind": "condition", "when": {"var": "flags.b"}, "flag": "a"},
        {"id": "b", "kind": "condition", "when": {"var": "flags.a"}, "flag": "b"},
        {"id": "self", "kind": "condition", "when": {"!": {"var": "flags.me"}}, "flag": "me"},
    ]
    problems = problems_of(compile_rules, rules)
    assert [(p.pointer, p.message) for p in problems] == [
        ("/rules/0", "rule 'a' is part of a cycle: a -> b -> a"),
        ("/rules/1", "rule 'b' is part of a cycle: b -> a -> b"),
        ("/rules/2", "rule 'self' is part of a cycle: self -> self"),
    ]


def test_a_score_has_one_writer(compile_rules: Compile) -> None:
    rules = [
        {"id": "a", "kind": "weighted_sum", "items": PHQ9, "output": "total"},
        {"id": "b", "kind": "weighted_sum", "items": PHQ9[:3], "output": "total"},
    ]
    (problem,) = problems_of(compile_rules, rules)
    assert problem == Problem("/rules/1/output", "scores.total is already written by rule 'a'")


def test_a_ruleset_needs_exactly_one_route(registry: RuleRegistry) -> None:
    with pytest.raises(RulesetError) as raised:
        compile_ruleset({"rules": []}, {}, registry, name="x@1")
    assert raised.value.problems == [
        Problem("/rules", "no rule makes the decision: add a 'route' rule")
    ]
    route = {"id": "r", "kind": "route", "referrals": []}
    with pytest.raises(RulesetError) as raised:
        compile_ruleset({"rules": [route, {**route, "id": "r2"}]}, {}, registry, name="x@1")
    assert [p.pointer for p in raised.value.problems] == ["/rules/1"]


def test_document_shape_is_checked(registry: RuleRegistry) -> None:
    with pytest.raises(RulesetError) as raised:
        compile_ruleset({"rulez": []}, {}, registry, name="x@1")
    assert {p.message for p in raised.value.problems} == {
        "'rules' is a required property",
        "Additional properties are not allowed ('rulez' was unexpected)",
    }


def test_rules_run_in_dependency_order_whatever_the_file_order(compile_rules: Compile) -> None:
    rules = [
        {
            "id": "band",
            "kind": "bands",
            "score": "total",
            "output": "b",
            "bands": [{"band": "low", "min": 0, "max": 9}, {"band": "high", "min": 10, "max": 27}],
        },
        {
            "id": "high",
            "kind": "condition",
            "when": {"==": [{"var": "bands.b"}, "high"]},
            "flag": "high",
        },
        {
            "id": "total",
            "kind": "weighted_sum",
            "items": PHQ9,
            "output": "total",
            "unanswered": "skip",
        },
    ]
    ruleset = compile_rules(rules)
    assert ruleset.rule_ids == ("total", "band", "high", "routing")
    assert ruleset.evaluate(phq_answers([3] * 4)).flags == ("high",)


def test_evaluation_never_fails_on_odd_or_missing_answers(compile_rules: Compile) -> None:
    rules = [
        {
            "id": "total",
            "kind": "weighted_sum",
            "items": PHQ9,
            "output": "total",
            "unanswered": "zero",
        },
        {
            "id": "c",
            "kind": "condition",
            "when": {"some": [{"var": "/home/aids"}, {"==": [{"var": ""}, "frame"]}]},
            "flag": "frame",
        },
    ]
    ruleset = compile_rules(rules)
    for answers in (
        {},
        {"phq9": None},
        {"phq9": [1, 2]},
        {"phq9": {"item1": "x"}},
        {"home": "?"},
        [],
        None,
    ):
        decision = ruleset.evaluate(answers)  # type: ignore[arg-type]
        assert decision.scores["total"] == 0
        assert decision.flags == ()


def test_a_compiled_ruleset_is_shared_safely_between_threads(compile_rules: Compile) -> None:
    rules = [
        {"id": "total", "kind": "weighted_sum", "items": PHQ9, "output": "total"},
        {
            "id": "c",
            "kind": "condition",
            "when": {">": [{"var": "/phq9/item9"}, 0]},
            "flag": "risk",
        },
    ]
    ruleset = compile_rules(rules)
    failures: list[str] = []

    def work(offset: int) -> None:
        for n in range(300):
            value = (n + offset) % 4
            decision = ruleset.evaluate(phq_answers([value] * 9))
            if decision.scores["total"] != 9 * value or ("risk" in decision.flags) != (value > 0):
                failures.append(f"{value}: {decision.to_dict()}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_compiled_ruleset_is_immutable(compile_rules: Compile) -> None:
    ruleset = compile_rules([])
    with pytest.raises(AttributeError):
        ruleset.name = "other"  # type: ignore[misc]


def test_item_spec_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown item kind"):
        ItemSpec("/a", "slider")
