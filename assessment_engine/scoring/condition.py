"""The ``condition`` rule kind: sets a flag when a JsonLogic condition holds.

Configuration::

    {"id": "phq9-item9", "kind": "condition", "title": "Thoughts of self-harm",
     "when": {">": [{"var": "/mood/phq9/item9"}, 0]},
     "flag": "self_harm_risk",                               (written as flags.self_harm_risk)
     "because": "PHQ-9 item 9 answered {/mood/phq9/item9}: needs same-day follow-up",
     "otherwise": "optional explanation when the condition does not hold"}

In ``when``, ``{"var": "/pointer"}`` reads an answer (``null`` when unanswered),
``{"var": "scores.NAME"}`` / ``"bands.NAME"`` a derived value (``null`` when absent) and
``{"var": "flags.NAME"}`` a flag (``false`` unless set). Inside ``map``/``filter``/``some``/...
``var`` names fields of the current element as usual in JsonLogic, and a JSON Pointer still
names an answer, so each element can be compared with another answer. Dates are compared with
``{"days_between": [from, to]}`` (see ``jsonlogic``), never with a clock: for example the falls
described in the six months before the assessment date::

    {"filter": [{"var": "/falls/falls_events"},
                {"<=": [0, {"days_between": [{"var": "date"},
                                             {"var": "/about/assessment_date"}]}, 183]}]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from .items import ItemSpec
from .jsonlogic import BudgetExceeded, CompiledLogic, no_value, truthy
from .kind import (
    DERIVED_PREFIXES,
    NAME_PATTERN,
    EvalState,
    Namespace,
    RuleContext,
    RuleKind,
    Template,
    describe_answer,
    format_value,
    value_getter,
)

LOGIC_SCHEMA: Mapping[str, Any] = {
    "description": "A JsonLogic expression (jsonlogic.com)",
    "type": ["object", "array", "string", "number", "boolean", "null"],
}


def input_getters(
    logic: CompiledLogic,
) -> tuple[tuple[str, Callable[[EvalState], Any]], ...]:
    """Accessors for the answers and values a compiled condition names, for the trace."""
    getters = []
    for path in logic.variables:
        namespace: Namespace = "answer"
        name = path
        for prefix, derived in DERIVED_PREFIXES.items():
            if path.startswith(prefix):
                namespace, name = derived, path[len(prefix) :]
        getters.append((path, value_getter(namespace, name)))
    return tuple(getters)


def describe_inputs(inputs: Mapping[str, Any], items: Mapping[str, ItemSpec]) -> str:
    """``"Thoughts of self-harm: Several days (1); scores.phq9_total: 11"``."""
    parts = []
    for path, value in inputs.items():
        spec = items.get(path)
        label = spec.title if spec is not None and spec.title else path
        parts.append(f"{label}: {describe_answer(value, spec) if spec else format_value(value)}")
    return "; ".join(parts)


class Condition(RuleKind):
    """Sets ``flags.<flag>`` when ``when`` is truthy."""

    name: ClassVar[str] = "condition"
    schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["when", "flag"],
        "properties": {
            "when": LOGIC_SCHEMA,
            "flag": {"type": "string", "pattern": NAME_PATTERN},
            "because": {"type": "string", "minLength": 1},
            "otherwise": {"type": "string", "minLength": 1},
        },
    }

    def __init__(
        self, rule_id: str, title: str, config: Mapping[str, Any], context: RuleContext
    ) -> None:
        super().__init__(rule_id, title, config, context)
        self.flag: str = config["flag"]
        self.items = context.items
        logic = context.condition(config["when"], context.at("when"))
        self.logic = logic
        self._evaluate = logic.evaluator if logic is not None else no_value
        self.inputs = input_getters(logic) if logic is not None else ()
        context.write("flag", self.flag, context.at("flag"))
        self.because: Template | None = None
        self.otherwise: Template | None = None
        if "because" in config:
            self.because = context.template(config["because"], context.at("because"))
        if "otherwise" in config:
            self.otherwise = context.template(config["otherwise"], context.at("otherwise"))

    def evaluate(self, state: EvalState) -> None:
        assert self.logic is not None  # the compiler never keeps a rule that had problems
        try:
            fired = truthy(self._evaluate(state, state.budget))
            exhausted = False
        except BudgetExceeded:
            fired, exhausted = False, True
        if fired:
            state.flags[self.flag] = True
        state.trace.append((self.rule_id, fired, self, (fired, exhausted)))

    def trace_inputs(self, state: EvalState, detail: Any) -> dict[str, Any]:
        return {path: get(state) for path, get in self.inputs}

    def explain(self, state: EvalState, detail: Any) -> str:
        fired, exhausted = detail
        return self._explain(state, self.trace_inputs(state, detail), fired, exhausted)

    def _explain(
        self, state: EvalState, inputs: Mapping[str, Any], fired: bool, exhausted: bool
    ) -> str:
        if exhausted:
            return f"{self.title}: not applied, because the condition needed too much work"
        template = self.because if fired else self.otherwise
        if template is not None:
            return template.render(state)
        described = describe_inputs(inputs, self.items)
        verdict = "yes" if fired else "no"
        return f"{self.title}: {verdict}" + (f" ({described})" if described else "")
