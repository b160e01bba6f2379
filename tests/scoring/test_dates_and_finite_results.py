"""Dates in rules without a clock (``days_between``, answers named inside loops), ``cat`` of
null as the reference joins it, and decisions that never hold a number JSON cannot store."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from assessment_engine.scoring.compiler import CompiledRuleset
from assessment_engine.scoring.errors import RuleEvaluationError, RulesetError
from assessment_engine.scoring.items import ItemSpec
from assessment_engine.scoring.jsonlogic import apply, days_between

from .conftest import phq_answers

Compile = Callable[..., CompiledRuleset]


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2025-01-01", "2025-03-01", 59),
        ("2024-01-01", "2024-03-01", 60),  # a leap year
        ("2025-03-27", "2025-03-27", 0),
        ("2025-03-27", "2024-09-25", -183),
        ("2025-02-30", "2025-03-01", None),  # no such day
        ("27/03/2025", "2025-03-01", None),
        ("2025-03-01T10:00:00", "2025-03-02", None),
        (None, "2025-03-01", None),
        (20250301, "2025-03-01", None),
    ],
)
def test_days_between_counts_whole_days_and_refuses_what_is_not_a_date(
    start: Any, end: Any, days: int | None
) -> None:
    assert days_between(start, end) == days
    assert apply({"days_between": [start, end]}) == days


def test_cat_joins_null_as_an_empty_string_as_the_reference_does() -> None:
    assert apply({"cat": [None, "a"]}) == "a"
    assert apply({"cat": ["a", None, "b", {"var": "missing"}]}) == "ab"
    assert apply({"cat": ["x", 1, True]}) == "x1true"  # everything else is unchanged


FALLS_ITEMS = {
    "/about/assessment_date": ItemSpec("/about/assessment_date", "date", title="Date"),
    "/falls/falls_events": ItemSpec("/falls/falls_events", "repeat", title="Falls"),
}
RECENT_FALLS = {
    "filter": [
        {"var": "/falls/falls_events"},
        {
            "<=": [
                0,
                {"days_between": [{"var": "date"}, {"var": "/about/assessment_date"}]},
                183,
            ]
        },
    ]
}


def test_a_loop_body_compares_each_element_with_an_answer_named_by_pointer(
    compile_rules: Compile,
) -> None:
    rules = compile_rules(
        [
            {
                "id": "recent-falls",
                "kind": "condition",
                "when": {
                    ">=": [{"reduce": [RECENT_FALLS, {"+": [{"var": "accumulator"}, 1]}, 0]}, 2]
                },
                "flag": "repeat_falls",
            }
        ],
        items=FALLS_ITEMS,
    )
    events = [{"date": "2025-05-20"}, {"date": "2025-01-10"}, {"date": "2023-04-01"}]

    def flags(assessment_date: str, falls: list[dict[str, str]]) -> tuple[str, ...]:
        answers = {"about": {"assessment_date": assessment_date}, "falls": {"falls_events": falls}}
        return rules.evaluate(answers).flags

    assert flags("2025-06-01", events) == ("repeat_falls",)  # two within 183 days
    assert flags("2025-06-01", [events[0], events[2]]) == ()  # one is two years old
    assert flags("2025-05-01", events[:2]) == ()  # one is after the assessment date
    decision = rules.evaluate({"about": {"assessment_date": "2025-06-01"}, "falls": {}})
    assert decision.trace[0].inputs == {
        "/falls/falls_events": None,
        "/about/assessment_date": "2025-06-01",
    }


def test_an_unknown_pointer_inside_a_loop_is_refused_at_compile_time(
    compile_rules: Compile,
) -> None:
    with pytest.raises(RulesetError) as raised:
        compile_rules(
            [
                {
                    "id": "typo",
                    "kind": "condition",
                    "when": {"some": [{"var": "/falls/falls_events"}, {"var": "/about/date"}]},
                    "flag": "x",
                }
            ],
            items=FALLS_ITEMS,
        )
    assert "unknown question '/about/date'" in str(raised.value)


def test_element_fields_inside_a_loop_keep_their_jsonlogic_meaning(
    compile_rules: Compile,
) -> None:
    rules = compile_rules(
        [
            {
                "id": "any-injured",
                "kind": "condition",
                "when": {"some": [{"var": "/falls/falls_events"}, {"var": "injured"}]},
                "flag": "injured",
            }
        ],
        items=FALLS_ITEMS,
    )
    hurt = {"falls": {"falls_events": [{"injured": False}, {"injured": True}]}}
    assert rules.evaluate(hurt).flags == ("injured",)
    assert rules.evaluate({"falls": {"falls_events": [{"injured": False}]}}).flags == ()


def test_a_score_that_is_not_finite_is_a_rule_error_naming_the_rule(
    compile_rules: Compile,
) -> None:
    rules = compile_rules(
        [
            {
                "id": "overflowing-sum",
                "kind": "weighted_sum",
                "items": {"/phq9/item1": 1e308, "/phq9/item2": 1e308},
                "output": "huge",
            }
        ]
    )
    assert rules.evaluate(phq_answers([1, 0])).scores == {"huge": 1e308}
    with pytest.raises(RuleEvaluationError) as raised:
        rules.evaluate(phq_answers([1, 1]))
    assert raised.value.rule == "overflowing-sum"
    assert "scores.huge is inf" in str(raised.value)


def test_a_decision_table_sum_that_overflows_is_refused_too(compile_rules: Compile) -> None:
    rules = compile_rules(
        [
            {
                "id": "two-rows",
                "kind": "decision_table",
                "inputs": [{"name": "a", "value": {"var": "/phq9/item1"}}],
                "output": "scores.big",
                "hit_policy": "collect",
                "aggregate": "sum",
                "rows": [{"when": {"a": 1}, "then": 1e308}, {"when": {"a": 1}, "then": 1e308}],
            }
        ]
    )
    with pytest.raises(RuleEvaluationError, match="two-rows"):
        rules.evaluate(phq_answers([1]))


def test_a_non_finite_input_in_the_trace_is_refused_before_it_can_be_stored(
    compile_rules: Compile,
) -> None:
    rules = compile_rules(
        [
            {
                "id": "item9",
                "kind": "condition",
                "when": {">": [{"var": "/phq9/item9"}, 0]},
                "flag": "self_harm_risk",
            }
        ]
    )
    decision = rules.evaluate({"phq9": {"item9": float("inf")}})  # only in process: JSON has none
    with pytest.raises(RuleEvaluationError) as raised:
        decision.to_dict()
    assert raised.value.rule == "item9"
    stored = rules.evaluate({"phq9": {"item9": 1}}).to_dict()
    json.dumps(stored, allow_nan=False)  # a finite decision is valid JSON


def test_the_one_pass_finiteness_check_answers_as_the_value_by_value_one() -> None:
    from collections import OrderedDict
    from types import MappingProxyType

    from assessment_engine.scoring.decision import _all_finite, _finite

    class Number(float):
        pass

    nan, inf = float("nan"), float("inf")
    cases: list[tuple[dict[str, object], list[dict[str, object]]]] = [
        ({"total": 3, "mean": 1.5}, [{"inputs": {"a": [1, 2.0, None, "x"]}}]),
        ({"total": nan}, [{"inputs": {}}]),
        ({"total": 1}, [{"inputs": {"a": {"b": [1.0, (2, -inf)]}}}]),
        ({"total": 1}, [{"inputs": MappingProxyType({"a": inf})}]),
        ({"total": 1}, [{"inputs": MappingProxyType({"a": 1.0})}]),
        ({"total": Number("nan")}, [{"inputs": OrderedDict(a=1)}]),  # not a float: finite
        ({"total": 1}, [{"inputs": {"when": object()}}]),
    ]
    for scores, trace in cases:
        expected = all(_finite(v) for v in scores.values()) and all(
            _finite(step["inputs"]) for step in trace
        )
        assert _all_finite(scores, trace) is expected, (scores, trace)


def test_pruning_copies_answers_as_deepcopy_did() -> None:
    import copy

    from assessment_engine.questionnaires.answers import _copy

    for value in ("a", 1, 2.5, True, None, ["a", "b"], [["a"]], {"a": [1]}, [{"x": 1}]):
        copied = _copy(value)
        assert copied == copy.deepcopy(value)
        if isinstance(value, list | dict):
            assert copied is not value
