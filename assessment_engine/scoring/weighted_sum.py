"""The ``weighted_sum`` rule kind: a total of item scores, with an explicit unanswered policy.

Configuration::

    {"id": "phq9-total", "kind": "weighted_sum", "title": "PHQ-9 total",
     "items": ["/phq9/item1", ...]            (or {"/phq9/item1": 2.0, ...} for weights),
     "output": "phq9_total",                   (written as scores.phq9_total)
     "unanswered": "prorate", "max_missing": 2,
     "value_scores": {"some_help": 1, ...},    (optional: overrides the questionnaire's scores)
     "because": "optional explanation template"}

An item's score is ``value_scores[answer]`` when given, else the questionnaire's score for the
chosen option, else the answer itself for numeric items (``true``/``false`` count 1/0). For a
multiple-choice item it is the sum over the chosen options. An answer that has no score (an
option the scores do not list) counts as unanswered.

Unanswered policies (``m`` items unanswered of ``n``; ``max_missing`` defaults shown):

* ``require``: every item must be answered; otherwise the score is absent.
* ``skip``: the sum of the answered items; absent when more than ``max_missing`` (n - 1) are
  unanswered, so absent when none is answered.
* ``zero``: unanswered items count as 0; absent when more than ``max_missing`` (n) are missing.
* ``prorate``: the answered sum scaled up to all items, ``sum * n / (n - m)`` by weight, rounded
  half up to a whole number; absent when more than ``max_missing`` (n - 1) are unanswered.

An absent score is not an error: bands based on it are absent too, conditions see ``null``, and
the trace says why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from .items import NUMERIC_KINDS, ItemSpec
from .kind import (
    NAME_PATTERN,
    EvalState,
    RuleContext,
    RuleKind,
    Template,
    format_value,
)

POLICIES: Final = ("require", "skip", "zero", "prorate")
_HASHABLE: Final = frozenset({str, int, float})
_UNSCORED: Any = object()

Scorer = Callable[[Any], Any]


def _option_key(value: Any) -> Any:
    """JSON object keys are strings; match answers to them the way they were written."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value if isinstance(value, str) else str(value)


def _mapping_scorer(scores: Mapping[Any, float], multi: bool) -> Scorer:
    table: dict[Any, float] = {}
    for key, score in scores.items():
        table[key] = score
        table.setdefault(_option_key(key), score)

    def one(value: Any) -> Any:
        if isinstance(value, list | dict):
            return _UNSCORED
        score = table.get(value, _UNSCORED)
        return table.get(_option_key(value), _UNSCORED) if score is _UNSCORED else score

    if not multi:
        return one

    def many(value: Any) -> Any:
        if not isinstance(value, list):
            return _UNSCORED
        total: float = 0
        for option in value:
            score = one(option)
            if score is _UNSCORED:
                return _UNSCORED
            total += score
        return total

    return many


def _numeric(value: Any) -> Any:
    if type(value) is int or type(value) is float:
        return value if math.isfinite(value) else _UNSCORED
    return _UNSCORED


def _boolean(value: Any) -> Any:
    return 1 if value is True else 0 if value is False else _UNSCORED


def round_half_up(value: float) -> int:
    """Round to a whole number, halves upwards (Python's ``round`` rounds halves to even)."""
    return math.floor(value + 0.5)


class WeightedSum(RuleKind):
    """Sum of (weighted) item scores into ``scores.<output>``."""

    name: ClassVar[str] = "weighted_sum"
    schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "output"],
        "properties": {
            "items": {
                "oneOf": [
                    {
                        "type": "array",
                        "minItems": 1,
                        "uniqueItems": True,
                        "items": {"type": "string", "pattern": "^/"},
                    },
                    {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": {"pattern": "^/"},
                        "additionalProperties": {"type": "number"},
                    },
                ]
            },
            "output": {"type": "string", "pattern": NAME_PATTERN},
            "unanswered": {"enum": list(POLICIES)},
            "max_missing": {"type": "integer", "minimum": 0},
            "value_scores": {"type": "object", "additionalProperties": {"type": "number"}},
            "because": {"type": "string", "minLength": 1},
        },
    }

    def __init__(
        self, rule_id: str, title: str, config: Mapping[str, Any], context: RuleContext
    ) -> None:
        super().__init__(rule_id, title, config, context)
        raw_items = config["items"]
        weights: dict[str, float] = (
            dict.fromkeys(raw_items, 1.0) if isinstance(raw_items, list) else dict(raw_items)
        )
        self.output: str = config["output"]
        self.policy: str = config.get("unanswered", "require")
        count = len(weights)
        default_max = {"require": 0, "skip": count - 1, "zero": count, "prorate": count - 1}
        self.max_missing: int = config.get("max_missing", default_max[self.policy])
        if self.policy == "require" and self.max_missing:
            context.problem(("max_missing",), "'require' allows no unanswered items")
        if self.max_missing > count:
            context.problem(("max_missing",), f"more than the {count} items of this sum")
        override = config.get("value_scores")
        parts: list[tuple[str, float, Mapping[Any, float], Scorer]] = []
        for pointer, weight in weights.items():
            where = context.at("items", pointer) if isinstance(raw_items, dict) else None
            if where is None:
                where = context.at("items", raw_items.index(pointer))
            spec = context.item(pointer, where)
            if spec is None:
                continue
            scorer = self._scorer(spec, override)
            if scorer is None:
                context.problem(
                    where,
                    f"question {pointer!r} ({spec.kind}) has no scores: give the question "
                    "scores in the questionnaire or 'value_scores' in this rule",
                )
                continue
            parts.append((pointer, float(weight), self._table(spec, override), scorer))
        self.parts = tuple(parts)
        self.total_weight = sum(weight for _, weight, _, _ in parts)
        self.integral_weights = all(weight.is_integer() for _, weight, _, _ in parts)
        context.write("score", self.output, context.at("output"))
        self.because: Template | None = None
        if "because" in config:
            self.because = context.template(
                config["because"],
                context.at("because"),
                frozenset({"score", "answered", "missing"}),
            )

    @staticmethod
    def _table(spec: ItemSpec, override: Mapping[str, float] | None) -> Mapping[Any, float]:
        """Scores by option value for single choices (empty: always use the scorer)."""
        if spec.kind == "multichoice":
            return {}
        scores = override if override is not None else spec.scores
        if scores is None:
            return {}
        return {key: score for key, score in scores.items() if type(key) in _HASHABLE}

    @staticmethod
    def _scorer(spec: ItemSpec, override: Mapping[str, float] | None) -> Scorer | None:
        multi = spec.kind == "multichoice"
        if override is not None:
            return _mapping_scorer(override, multi)
        if spec.scores is not None:
            return _mapping_scorer(spec.scores, multi)
        if spec.kind in NUMERIC_KINDS:
            return _numeric
        if spec.kind == "boolean":
            return _boolean
        return None

    def evaluate(self, state: EvalState) -> None:
        values = state.values
        total: float = 0.0
        answered_weight = 0.0
        missing = 0
        for pointer, weight, table, scorer in self.parts:
            value = values.get(pointer)
            if value is None:
                missing += 1
                continue
            # fast path: a plain option value found in the score table as it is
            score = table.get(value, _UNSCORED) if type(value) in _HASHABLE else _UNSCORED
            if score is _UNSCORED:
                score = scorer(value)
            if score is _UNSCORED:
                missing += 1
            else:
                total += weight * score
                answered_weight += weight
        result: float | None
        if missing > self.max_missing or (answered_weight == 0 and self.policy != "zero"):
            result = None
        elif self.policy == "prorate" and missing:
            result = round_half_up(total * self.total_weight / answered_weight)
        else:
            result = int(total) if total.is_integer() else total
        if result is not None:
            state.scores[self.output] = result
        state.trace.append((self.rule_id, result is not None, self, (result, total, missing)))

    def trace_inputs(self, state: EvalState, detail: Any) -> dict[str, Any]:
        return {pointer: state.values.get(pointer) for pointer, _, _, _ in self.parts}

    def explain(self, state: EvalState, detail: Any) -> str:
        result, total, missing = detail
        return self._explain(state, result, total, len(self.parts), missing)

    def _explain(
        self, state: EvalState, result: float | None, total: float, count: int, missing: int
    ) -> str:
        answered = count - missing
        if self.because is not None:
            local = {"score": result, "answered": answered, "missing": missing}
            return self.because.render(state, local)
        if result is None:
            if self.policy == "require":
                return (
                    f"{self.title} not calculated: all {count} questions must be answered and "
                    f"{missing} {'is' if missing == 1 else 'are'} not"
                )
            return (
                f"{self.title} not calculated: {missing} of {count} questions unanswered, "
                f"at most {self.max_missing} allowed"
            )
        sentence = f"{self.title} {format_value(result)}: the sum of {answered} answered questions"
        if missing and self.policy == "prorate":
            sentence += (
                f" ({format_value(total)}), scaled up for {missing} unanswered "
                f"and rounded to {format_value(result)}"
            )
        elif missing and self.policy == "zero":
            sentence += f"; {missing} unanswered counted as 0"
        elif missing:
            sentence += f"; {missing} unanswered left out"
        return sentence
