"""The result of evaluating a ruleset: the decision object of the JSON API (api.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import RuleEvaluationError
from .kind import EvalState, Explainer, Referral, TraceEntry
from .outcomes import Priority, Route

TraceStep = TraceEntry | tuple[str, bool, Explainer, Any]


def _finite(value: Any) -> bool:
    """Whether ``value`` (any JSON-like value) holds no infinity and no NaN."""
    if type(value) is float:
        return math.isfinite(value)
    if isinstance(value, Mapping):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(_finite(item) for item in value)
    return True


_STRICT = json.JSONEncoder(allow_nan=False, check_circular=False)


def _all_finite(scores: Mapping[str, Any], trace: list[dict[str, Any]]) -> bool:
    """Whether every score and every trace entry's inputs are :func:`_finite`: one pass of the
    C encoder, which refuses any infinity or NaN; what it cannot encode (or what it refuses) is
    checked value by value, so the answer is :func:`_finite`'s."""
    try:
        _STRICT.encode([scores, [step["inputs"] for step in trace]])
    except (ValueError, TypeError, RecursionError):
        return all(_finite(value) for value in scores.values()) and all(
            _finite(step["inputs"]) for step in trace
        )
    return True


class DecisionResult:
    """A computed decision; ``to_dict()`` is exactly the API's decision object.

    The trace is built when first read: a decision that is only routed or counted never pays
    for its explanations.
    """

    __slots__ = (
        "_state",
        "_steps",
        "_trace",
        "bands",
        "flags",
        "priority",
        "route",
        "ruleset",
        "scores",
        "services",
        "writers",
    )

    def __init__(
        self,
        *,
        route: Route,
        priority: Priority,
        scores: Mapping[str, float | int],
        bands: Mapping[str, str],
        flags: tuple[str, ...],
        services: tuple[Referral, ...],
        steps: Sequence[TraceStep],
        state: EvalState,
        ruleset: str,
        writers: Mapping[str, str] | None = None,
    ) -> None:
        self.route = route
        self.priority = priority
        self.scores = scores
        self.bands = bands
        self.flags = flags
        self.services = services
        self.ruleset = ruleset
        self.writers = writers or {}
        self._steps = steps
        self._state = state
        self._trace: tuple[TraceEntry, ...] | None = None

    @property
    def trace(self) -> tuple[TraceEntry, ...]:
        """Every rule's explanation, in evaluation order."""
        if self._trace is None:
            state = self._state
            self._trace = tuple(
                step
                if isinstance(step, TraceEntry)
                else TraceEntry(step[0], step[1], source=step[2], state=state, detail=step[3])
                for step in self._steps
            )
        return self._trace

    @property
    def service_slugs(self) -> list[str]:
        return [referral.service for referral in self.services]

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON; ``RuleEvaluationError`` (naming the rule) when a score or a
        trace entry holds a number that is not finite, which JSON cannot store."""
        trace = [entry.to_dict() for entry in self.trace]
        if not _all_finite(self.scores, trace):
            self._refuse_not_finite(trace)
        return {
            "route": self.route.value,
            "priority": self.priority.value,
            "scores": dict(self.scores),
            "bands": dict(self.bands),
            "flags": list(self.flags),
            "services": [referral.to_dict() for referral in self.services],
            "trace": trace,
            "ruleset": self.ruleset,
            "override": None,
        }

    def _refuse_not_finite(self, trace: list[dict[str, Any]]) -> None:
        """``RuleEvaluationError`` naming the first score or rule that is not finite."""
        for name, value in self.scores.items():
            if not _finite(value):
                raise RuleEvaluationError(
                    self.writers.get(name, "?"), f"scores.{name} is not a finite number"
                )
        for step in trace:
            if not _finite(step["inputs"]):
                raise RuleEvaluationError(
                    step["rule"], "one of its inputs is a number that is not finite"
                )

    def __repr__(self) -> str:
        return (
            f"DecisionResult(route={self.route.value!r}, priority={self.priority.value!r}, "
            f"services={self.service_slugs!r}, ruleset={self.ruleset!r})"
        )
