"""JsonLogic safety: refused operations, bounded size and depth, a budget for loops."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment_engine.scoring.jsonlogic import (
    MAX_DEPTH,
    Budget,
    BudgetExceeded,
    LogicError,
    compile_logic,
    loose_equals,
    truthy,
)


@pytest.mark.parametrize("operation", ["method", "eval", "exec", "__import__"])
def test_operations_that_could_run_code_are_refused_with_their_pointer(operation: str) -> None:
    with pytest.raises(LogicError) as raised:
        compile_logic({"and": [True, {operation: ["x", "upper"]}]})
    assert raised.value.pointer == f"/and/1/{operation}"
    assert "unknown operation" in raised.value.message


def test_deep_nesting_is_refused_at_compile_time() -> None:
    expression: Any = True
    for _ in range(MAX_DEPTH + 5):
        expression = {"!": [expression]}
    with pytest.raises(LogicError, match="nested more than"):
        compile_logic(expression)


def test_huge_expressions_are_refused() -> None:
    with pytest.raises(LogicError, match="more than 50 nodes"):
        compile_logic({"+": list(range(100))}, max_nodes=50)


def test_nested_loops_over_large_data_stop_at_the_budget() -> None:
    rows = list(range(300))
    expression = {
        "map": [
            {"var": "rows"},
            {"map": [{"var": ""}, {"+": [1, 1]}]},
        ]
    }
    # each outer element is a number, so give the inner map lists to iterate
    data = {"rows": [rows for _ in rows]}
    with pytest.raises(BudgetExceeded):
        compile_logic(expression)(data, Budget(10_000))


def test_budget_is_per_evaluation() -> None:
    logic = compile_logic({"filter": [{"var": "xs"}, {">": [{"var": ""}, 1]}]})
    for _ in range(3):
        assert logic({"xs": [1, 2, 3]}, Budget(5)) == [2, 3]


def test_rule_mode_var_goes_through_the_resolver_only_outside_loops() -> None:
    seen: list[str] = []

    def resolve(path: str, default: Any, pointer: str) -> Any:
        seen.append(f"{path} at {pointer}")
        return lambda data, budget: 7

    logic = compile_logic(
        {"+": [{"var": "/a/b"}, {"reduce": [{"var": "xs"}, {"var": "current"}, 0]}]},
        resolve_var=resolve,
    )
    # not "current", which is inside the loop body
    assert seen == ["/a/b at /+/0/var", "xs at /+/1/reduce/0/var"]
    assert logic.variables == ("/a/b", "xs")


def test_rule_mode_refuses_computed_var_names() -> None:
    with pytest.raises(LogicError, match="literally"):
        compile_logic({"var": {"cat": ["a", "b"]}}, resolve_var=lambda p, d, w: d)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children)
    ),
    max_leaves=8,
)
operations = st.sampled_from(
    [
        "==",
        "===",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "min",
        "max",
        "cat",
        "in",
        "substr",
        "merge",
        "!",
        "!!",
        "and",
        "or",
        "if",
        "var",
        "missing",
        "missing_some",
    ]
)


@given(operations, st.lists(json_values, max_size=3), json_values)
def test_any_operation_on_any_json_never_raises(op: str, args: list[Any], data: Any) -> None:
    """Evaluation is total; the only error is refusing an unknown operation at compile time."""
    try:
        logic = compile_logic({op: args})
    except LogicError as error:
        assert "unknown operation" in error.message  # noqa: PT017 - compiling may refuse, or not
        return
    logic(data)


@given(json_values, json_values)
def test_loose_equality_is_symmetric(a: Any, b: Any) -> None:
    assert loose_equals(a, b) == loose_equals(b, a)


def test_truthiness_follows_jsonlogic() -> None:
    assert [truthy(v) for v in ([], [0], "", "0", 0, 0.0, None, {})] == [
        False,
        True,
        False,
        True,
        False,
        False,
        False,
        True,
    ]
