"""``count_true``: how many of a list of JsonLogic conditions hold, written as a score.

{"id": "risk-count", "kind": "count_true", "title": "Risk factors",
 "conditions": [{"var": "flags.repeat_falls"}, {"==": [{"var": "/about/lives_with"}, "alone"]}],
 "output": "risk_factors"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assessment_engine.scoring.jsonlogic import truthy
from assessment_engine.scoring.kind import EvalState, RuleContext, RuleKind, TraceEntry


class CountTrue(RuleKind):
    name: ClassVar[str] = "count_true"
    schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["conditions", "output"],
        "properties": {
            "conditions": {"type": "array", "minItems": 1},
            "output": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        },
    }

    def __init__(
        self, rule_id: str, title: str, config: Mapping[str, Any], context: RuleContext
    ) -> None:
        super().__init__(rule_id, title, config, context)
        self.output = config["output"]
        compiled = [
            context.condition(condition, context.at("conditions", index))
            for index, condition in enumerate(config["conditions"])
        ]
        self.conditions = tuple(logic for logic in compiled if logic is not None)
        context.write("score", self.output, context.at("output"))

    def evaluate(self, state: EvalState) -> None:
        count = sum(truthy(logic.evaluate(state, state.budget)) for logic in self.conditions)
        state.scores[self.output] = count
        total = len(self.conditions)
        state.trace.append(
            TraceEntry(self.rule_id, count > 0, {}, f"{self.title}: {count} of {total} hold")
        )
