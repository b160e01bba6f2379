"""The result of evaluating a ruleset: the decision object of the JSON API (api.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .kind import EvalState, Explainer, Referral, TraceEntry
from .outcomes import Priority, Route

TraceStep = TraceEntry | tuple[str, bool, Explainer, Any]


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
    ) -> None:
        self.route = route
        self.priority = priority
        self.scores = scores
        self.bands = bands
        self.flags = flags
        self.services = services
        self.ruleset = ruleset
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
        return {
            "route": self.route.value,
            "priority": self.priority.value,
            "scores": dict(self.scores),
            "bands": dict(self.bands),
            "flags": list(self.flags),
            "services": [referral.to_dict() for referral in self.services],
            "trace": [entry.to_dict() for entry in self.trace],
            "ruleset": self.ruleset,
            "override": None,
        }

    def __repr__(self) -> str:
        return (
            f"DecisionResult(route={self.route.value!r}, priority={self.priority.value!r}, "
            f"services={self.service_slugs!r}, ruleset={self.ruleset!r})"
        )
