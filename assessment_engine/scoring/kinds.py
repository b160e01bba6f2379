"""The built-in rule kinds, named by the entry points in ``setup.cfg`` (group
``assessment_engine.rules``). ``Route`` here is the routing rule kind, not the ``outcomes.Route``
enum of route values."""

from __future__ import annotations

from .bands import Bands
from .condition import Condition
from .decision_table import DecisionTable
from .kind import RuleKind
from .routing import RouteStep
from .weighted_sum import WeightedSum

Route = RouteStep

#: The built-in kinds, for building a registry without installed metadata (tests, tools).
BUILTIN_KINDS: tuple[type[RuleKind], ...] = (
    WeightedSum,
    Bands,
    Condition,
    DecisionTable,
    RouteStep,
)

__all__ = [
    "BUILTIN_KINDS",
    "Bands",
    "Condition",
    "DecisionTable",
    "Route",
    "RouteStep",
    "WeightedSum",
]
