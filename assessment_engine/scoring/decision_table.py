"""The ``decision_table`` rule kind: ordered rows of tests on named inputs, with a DMN hit policy.

Configuration::

    {"id": "personal-care-priority", "kind": "decision_table", "title": "Personal care priority",
     "inputs": [{"name": "needs", "value": {"var": "scores.personal_care_needs"}},
                {"name": "alone", "value": {"var": "/home/lives_alone"}}],
     "output": "bands.personal_care_priority",      (or "scores.NAME", or "flags")
     "hit_policy": "priority",                        ("first", "priority" or "collect")
     "output_values": ["critical", "substantial", "moderate", "low"],
     "rows": [{"when": {"needs": {">=": 3}, "alone": true}, "then": "critical",
               "because": "optional explanation"}, ...],
     "default": "no_risk"}                             (optional: the output when no row matches)

An input's ``value`` is a JsonLogic expression (as in ``condition``). A row's ``when`` maps input
names to a test; an input the row does not mention matches anything. A test is a literal (equal,
with JSON types: ``1`` is not ``"1"``; ``null`` matches an unanswered input) or one of
``{"==": v}``, ``{"!=": v}``, ``{"<": n}``, ``{"<=": n}``, ``{">": n}``, ``{">=": n}``,
``{"in": [v, ...]}``, ``{"between": [low, high]}`` (inclusive). A number test never matches an
unanswered input.

Hit policies, as in DMN: ``first`` takes the first matching row; ``priority`` takes, of all
matching rows, the output listed first in ``output_values`` (required); ``collect`` takes every
matching row and needs ``aggregate`` (``sum``, ``count``, ``min``, ``max``) into a score, or an
output of ``flags``, where each row's ``then`` is a flag name and every matching row's flag is set.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from .condition import LOGIC_SCHEMA, describe_inputs, input_getters
from .jsonlogic import BudgetExceeded, CompiledLogic, strict_equals
from .kind import (
    DERIVED_PREFIXES,
    NAME_PATTERN,
    EvalState,
    Namespace,
    RuleContext,
    RuleKind,
    Template,
    format_value,
)

Test = Callable[[Any], bool]
_NUMBER_TESTS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_TEST_SCHEMA: Final[Mapping[str, Any]] = {
    "oneOf": [
        {"type": ["string", "number", "boolean", "null"]},
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "==": {},
                "!=": {},
                "<": {"type": "number"},
                "<=": {"type": "number"},
                ">": {"type": "number"},
                ">=": {"type": "number"},
                "in": {"type": "array"},
                "between": {
                    "type": "array",
                    "prefixItems": [{"type": "number"}, {"type": "number"}],
                    "minItems": 2,
                    "maxItems": 2,
                },
            },
            "additionalProperties": False,
        },
    ]
}


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def compile_test(test: Any) -> Test:
    """One cell of a row as a predicate over the input's value."""
    if not isinstance(test, dict):
        return lambda value: strict_equals(value, test)
    ((op, operand),) = test.items()
    if op == "==":
        return lambda value: strict_equals(value, operand)
    if op == "!=":
        return lambda value: not strict_equals(value, operand)
    if op == "in":
        options = tuple(operand)
        return lambda value: any(strict_equals(value, option) for option in options)
    if op == "between":
        low, high = operand
        return lambda value: _is_number(value) and low <= value <= high
    compare = _NUMBER_TESTS[op]
    return lambda value: _is_number(value) and compare(value, operand)


def describe_test(test: Any) -> str:
    """A cell in words: ``at least 3``, ``one of a, b``."""
    if not isinstance(test, dict):
        return f"is {format_value(test)}"
    ((op, operand),) = test.items()
    words = {
        "==": "is",
        "!=": "is not",
        "<": "is below",
        "<=": "is at most",
        ">": "is above",
        ">=": "is at least",
    }
    if op == "in":
        return "is one of " + ", ".join(format_value(v) for v in operand)
    if op == "between":
        return f"is between {format_value(operand[0])} and {format_value(operand[1])}"
    return f"{words[op]} {format_value(operand)}"


class _Row:
    __slots__ = ("because", "index", "tests", "then", "words")

    def __init__(
        self,
        index: int,
        tests: tuple[tuple[int, Test], ...],
        then: Any,
        because: Template | None,
        words: str,
    ) -> None:
        self.index = index
        self.tests = tests
        self.then = then
        self.because = because
        self.words = words


class DecisionTable(RuleKind):
    """Rows of tests; the hit policy decides which rows' outputs count."""

    name: ClassVar[str] = "decision_table"
    schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["inputs", "output", "hit_policy", "rows"],
        "properties": {
            "inputs": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "value"],
                    "properties": {
                        "name": {"type": "string", "pattern": NAME_PATTERN},
                        "title": {"type": "string"},
                        "value": LOGIC_SCHEMA,
                    },
                },
            },
            "output": {"type": "string", "pattern": r"^(flags|(scores|bands)\.[a-z][a-z0-9_]*)$"},
            "hit_policy": {"enum": ["first", "priority", "collect"]},
            "aggregate": {"enum": ["sum", "count", "min", "max"]},
            "output_values": {"type": "array", "minItems": 1, "uniqueItems": True},
            "default": {"type": ["string", "number"]},
            "rows": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["when", "then"],
                    "properties": {
                        "when": {"type": "object", "additionalProperties": _TEST_SCHEMA},
                        "then": {"type": ["string", "number"]},
                        "because": {"type": "string", "minLength": 1},
                    },
                },
            },
        },
    }

    def __init__(
        self, rule_id: str, title: str, config: Mapping[str, Any], context: RuleContext
    ) -> None:
        super().__init__(rule_id, title, config, context)
        self.items = context.items
        self.hit_policy: str = config["hit_policy"]
        self.aggregate: str | None = config.get("aggregate")
        output: str = config["output"]
        self.namespace: Namespace = "flag"
        self.output = ""
        for prefix, namespace in DERIVED_PREFIXES.items():
            if output.startswith(prefix):
                self.namespace, self.output = namespace, output[len(prefix) :]
        self._check_policy(config, context)
        self.output_values: tuple[Any, ...] | None = (
            tuple(config["output_values"]) if "output_values" in config else None
        )
        self.default: Any = config.get("default")
        names: dict[str, int] = {}
        inputs: list[tuple[str, CompiledLogic]] = []
        for index, spec in enumerate(config["inputs"]):
            if spec["name"] in names:
                context.problem(("inputs", index, "name"), f"input {spec['name']!r} is repeated")
            names[spec["name"]] = index
            logic = context.condition(spec["value"], context.at("inputs", index, "value"))
            if logic is not None:
                inputs.append((spec["name"], logic))
        self.inputs = tuple(logic for _, logic in inputs)
        self.input_names = tuple(name for name, _ in inputs)
        self.input_getters = tuple(getter for _, logic in inputs for getter in input_getters(logic))
        rows: list[_Row] = []
        for index, row in enumerate(config["rows"]):
            tests = []
            for name, test in row["when"].items():
                if name not in names:
                    context.problem(("rows", index, "when", name), f"unknown input {name!r}")
                    continue
                tests.append((names[name], compile_test(test)))
            self._check_output(row["then"], ("rows", index, "then"), context)
            because = (
                context.template(row["because"], context.at("rows", index, "because"))
                if "because" in row
                else None
            )
            words = " and ".join(f"{name} {describe_test(t)}" for name, t in row["when"].items())
            rows.append(_Row(index, tuple(tests), row["then"], because, words or "always"))
        self.rows = tuple(rows)
        if self.default is not None:
            self._check_output(self.default, ("default",), context)

    def _check_policy(self, config: Mapping[str, Any], context: RuleContext) -> None:
        policy, aggregate = self.hit_policy, self.aggregate
        if policy == "priority" and "output_values" not in config:
            context.problem(("output_values",), "hit policy 'priority' needs output_values")
        if aggregate is not None and policy != "collect":
            context.problem(("aggregate",), "aggregate is only for hit policy 'collect'")
        if policy == "collect" and self.namespace == "band":
            context.problem(("output",), "'collect' cannot produce a band: use first or priority")
        if policy == "collect" and self.namespace == "score" and aggregate is None:
            context.problem(("aggregate",), "'collect' into a score needs an aggregate")
        if self.namespace == "flag" and aggregate is not None:
            context.problem(("aggregate",), "flags cannot be aggregated")
        if self.namespace != "flag":
            context.write(self.namespace, self.output, context.at("output"))

    def _check_output(self, value: Any, where: tuple[str | int, ...], context: RuleContext) -> None:
        if self.output_values is not None and value not in self.output_values:
            context.problem(where, f"{value!r} is not one of output_values")
        if self.namespace == "flag":
            if isinstance(value, str):
                context.write("flag", value, context.at(*where))
            else:
                context.problem(where, "with output 'flags', each output is a flag name")
        elif self.namespace == "score" and self.aggregate != "count" and not _is_number(value):
            context.problem(where, "a score output must be a number")
        elif self.namespace == "band" and not isinstance(value, str):
            context.problem(where, "a band output must be a string")

    def evaluate(self, state: EvalState) -> None:
        try:
            values = [logic.evaluate(state, state.budget) for logic in self.inputs]
        except BudgetExceeded:
            values = None
        matched: list[_Row] = []
        if values is not None:
            for row in self.rows:
                if all(test(values[i]) for i, test in row.tests):
                    matched.append(row)
                    if self.hit_policy == "first":
                        break
        result = self._result(matched)
        if result is not None:
            if self.namespace == "score":
                state.scores[self.output] = result
            elif self.namespace == "band":
                state.bands[self.output] = result
            else:
                for flag in result if isinstance(result, list) else [result]:
                    state.flags[flag] = True
        state.trace.append((self.rule_id, bool(matched), self, (matched, result, values is None)))

    def trace_inputs(self, state: EvalState, detail: Any) -> dict[str, Any]:
        return {path: get(state) for path, get in self.input_getters}

    def explain(self, state: EvalState, detail: Any) -> str:
        matched, result, exhausted = detail
        return self._explain(state, self.trace_inputs(state, detail), matched, result, exhausted)

    def _result(self, matched: list[_Row]) -> Any:
        if not matched:
            return self.default
        if self.hit_policy == "first":
            return matched[0].then
        if self.hit_policy == "priority":
            order = self.output_values or ()
            return min((row.then for row in matched), key=order.index)
        outputs = [row.then for row in matched]
        if self.aggregate == "count":
            return len(outputs)
        if self.aggregate == "sum":
            return sum(outputs)
        if self.aggregate == "min":
            return min(outputs)
        if self.aggregate == "max":
            return max(outputs)
        return list(dict.fromkeys(outputs))  # collected flags

    def _explain(
        self,
        state: EvalState,
        inputs: Mapping[str, Any],
        matched: list[_Row],
        result: Any,
        exhausted: bool,
    ) -> str:
        if exhausted:
            return f"{self.title}: not applied, because its inputs needed too much work"
        described = describe_inputs(inputs, self.items)
        given = f" ({described})" if described else ""
        if not matched:
            if result is None:
                return f"{self.title}: no row applies{given}"
            return f"{self.title} {format_value(result)}: no row applies, so the default{given}"
        chosen = matched
        if self.hit_policy == "priority":
            chosen = [row for row in matched if row.then == result][:1]
        reasons = []
        for row in chosen:
            if row.because is not None:
                reasons.append(row.because.render(state))
            else:
                reasons.append(f"row {row.index + 1} applies: {row.words}")
        return f"{self.title} {format_value(result)} because " + "; ".join(reasons) + given
