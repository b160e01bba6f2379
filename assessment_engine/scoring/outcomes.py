"""The vocabulary of a decision: routes, priorities and urgencies (pure, no Flask, no database)."""

from __future__ import annotations

import enum


class Route(enum.StrEnum):
    """Where a person's support comes from."""

    HEALTH = "health"
    SOCIAL_CARE = "social_care"
    BOTH = "both"
    COMMUNITY = "community"

    @property
    def label(self) -> str:
        return {
            "health": "Health",
            "social_care": "Social care",
            "both": "Health and social care",
            "community": "Community support",
        }[self]


class Priority(enum.StrEnum):
    """Scotland's national eligibility framework bands (2009), most urgent first."""

    CRITICAL = "critical"
    SUBSTANTIAL = "substantial"
    MODERATE = "moderate"
    LOW = "low"
    NO_RISK = "no_risk"

    @property
    def label(self) -> str:
        return "No risk" if self is Priority.NO_RISK else self.value.capitalize()

    @property
    def rank(self) -> int:
        """0 for critical up to 4 for no risk; lower is more urgent."""
        return _PRIORITY_RANKS[self]

    @property
    def is_high(self) -> bool:
        """Critical and substantial are high priority (6-week target for personal care)."""
        return self in (Priority.CRITICAL, Priority.SUBSTANTIAL)

    @classmethod
    def most_urgent(cls, priorities: list[Priority]) -> Priority:
        return min(priorities, key=lambda p: p.rank) if priorities else cls.NO_RISK


_PRIORITY_RANKS: dict[Priority, int] = {priority: rank for rank, priority in enumerate(Priority)}


class Urgency(enum.StrEnum):
    """How soon a referred service should act, most urgent first."""

    SAME_DAY = "same_day"
    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def rank(self) -> int:
        """0 for same day up to 2 for routine; lower is more urgent."""
        return _URGENCY_RANKS[self]


_URGENCY_RANKS: dict[Urgency, int] = {urgency: rank for rank, urgency in enumerate(Urgency)}
