"""The ``bands`` rule kind: a score's named band by thresholds (PHQ-9 0-4 minimal, 5-9 mild ...).

Configuration::

    {"id": "phq9-band", "kind": "bands", "title": "PHQ-9 total",
     "score": "phq9_total", "output": "phq9",          (reads scores.phq9_total, writes bands.phq9)
     "bands": [{"band": "minimal", "min": 0, "max": 4},
               {"band": "moderately_severe", "min": 15, "max": 19, "label": "moderately severe"}],
     "gaps": "forbid"}                                  (default; or "allow")

Each band covers ``min <= score <= max`` (both inclusive). Bands must be in ascending order and
must not overlap; with gaps forbidden each band starts one above the previous band's ``max``,
which suits the whole-number totals of questionnaires. A score outside every band, or an absent
score, gives no band, and the trace says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .kind import NAME_PATTERN, EvalState, RuleContext, RuleKind, Template, format_value


class Bands(RuleKind):
    """Maps ``scores.<score>`` to ``bands.<output>``."""

    name: ClassVar[str] = "bands"
    schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["score", "output", "bands"],
        "properties": {
            "score": {"type": "string", "pattern": NAME_PATTERN},
            "output": {"type": "string", "pattern": NAME_PATTERN},
            "gaps": {"enum": ["forbid", "allow"]},
            "because": {"type": "string", "minLength": 1},
            "bands": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["band", "min", "max"],
                    "properties": {
                        "band": {"type": "string", "pattern": NAME_PATTERN},
                        "min": {"type": "number"},
                        "max": {"type": "number"},
                        "label": {"type": "string", "minLength": 1},
                    },
                },
            },
        },
    }

    def __init__(
        self, rule_id: str, title: str, config: Mapping[str, Any], context: RuleContext
    ) -> None:
        super().__init__(rule_id, title, config, context)
        self.score: str = config["score"]
        self.output: str = config["output"]
        forbid_gaps = config.get("gaps", "forbid") == "forbid"
        bands: list[tuple[float, float, str, str]] = []
        seen: set[str] = set()
        previous: tuple[float, float] | None = None
        for index, band in enumerate(config["bands"]):
            low, high, name = band["min"], band["max"], band["band"]
            if name in seen:
                context.problem(("bands", index, "band"), f"band {name!r} is listed twice")
            seen.add(name)
            if low > high:
                context.problem(("bands", index), f"min {low} is above max {high}")
            if forbid_gaps and not (float(low).is_integer() and float(high).is_integer()):
                context.problem(
                    ("bands", index),
                    "with gaps forbidden, thresholds must be whole numbers (or set gaps: allow)",
                )
            if previous is not None:
                if low < previous[0]:
                    context.problem(
                        ("bands", index, "min"), "bands must be in ascending order of min"
                    )
                elif low <= previous[1]:
                    context.problem(
                        ("bands", index, "min"),
                        f"overlaps the previous band, which ends at {format_value(previous[1])}",
                    )
                elif forbid_gaps and low != previous[1] + 1:
                    context.problem(
                        ("bands", index, "min"),
                        f"leaves a gap after the previous band, which ends at "
                        f"{format_value(previous[1])} (set gaps: allow if intended)",
                    )
            previous = (low, high)
            bands.append((low, high, name, band.get("label", name.replace("_", " "))))
        self.bands = tuple(bands)
        context.read("score", self.score, context.at("score"))
        context.write("band", self.output, context.at("output"))
        self.because: Template | None = None
        if "because" in config:
            names = frozenset({"score", "band", "label", "min", "max"})
            self.because = context.template(config["because"], context.at("because"), names)

    def evaluate(self, state: EvalState) -> None:
        score = state.scores.get(self.score)
        found: tuple[float, float, str, str] | None = None
        if score is not None:
            for band in self.bands:
                if band[0] <= score <= band[1]:
                    found = band
                    break
        if found is not None:
            state.bands[self.output] = found[2]
        state.trace.append((self.rule_id, found is not None, self, found))

    def trace_inputs(self, state: EvalState, detail: Any) -> dict[str, Any]:
        return {f"scores.{self.score}": state.scores.get(self.score)}

    def explain(self, state: EvalState, detail: Any) -> str:
        return self._explain(state, state.scores.get(self.score), detail)

    def _explain(
        self, state: EvalState, score: float | None, found: tuple[float, float, str, str] | None
    ) -> str:
        if score is None:
            return f"{self.title}: no band, because scores.{self.score} was not calculated"
        if found is None:
            low, high = self.bands[0][0], self.bands[-1][1]
            return (
                f"{self.title} {format_value(score)}: no band, because it is outside "
                f"{format_value(low)} to {format_value(high)}"
            )
        low, high, band, label = found
        if self.because is not None:
            local = {"score": score, "band": band, "label": label, "min": low, "max": high}
            return self.because.render(state, local)
        return (
            f"{self.title} {format_value(score)} ({label}) because "
            f"{format_value(low)} to {format_value(high)} is {label}"
        )
