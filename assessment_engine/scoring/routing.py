"""The ``route`` rule kind: referrals to services, and from them the route and the priority.

Configuration::

    {"id": "routing", "kind": "route", "title": "Routing",
     "referrals": [
       {"id": "crisis", "when": {"var": "flags.self_harm_risk"},
        "service": "crisis-mental-health", "urgency": "same_day", "priority": "critical",
        "because": "Thoughts of self-harm need same-day follow-up"},
       {"id": "home-care", "when": {"!!": {"var": "bands.personal_care_priority"}},
        "service": "home-care", "urgency": "routine",
        "priority": "bands.personal_care_priority"}],
     "no_referral_priority": "no_risk"}

Each referral line refers to a service when its JsonLogic ``when`` holds. ``priority`` is a
priority name (``critical`` ... ``no_risk``) or ``bands.NAME`` whose value is one (a band that
is absent or not a priority name contributes nothing). ``route`` (``health``, ``social_care``,
``community``) may be given for a line and must then agree with the service's kind; it is needed
only when the engine is not given the services.

The decision:

* services: one referral per service (two lines naming the same service make one referral, with
  the more urgent urgency and priority), most urgent first, then in the order of the lines; each
  carries its own priority (that of its lines, else ``no_referral_priority``);
* route: ``both`` when health and social care services are referred, else ``health`` or
  ``social_care``; ``community`` when only community services (or none) are referred;
* priority: the most urgent priority of the lines that referred, else ``no_referral_priority``.

A ruleset has exactly one ``route`` rule; it runs after everything it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from .condition import LOGIC_SCHEMA, describe_inputs, input_getters
from .jsonlogic import BudgetExceeded, CompiledLogic, truthy
from .kind import (
    EvalState,
    Referral,
    RuleContext,
    RuleKind,
    Template,
    route_for,
)
from .outcomes import Priority, Urgency
from .services import SERVICE_KINDS

URGENCY_RANK: Final = {urgency.value: rank for rank, urgency in enumerate(Urgency)}
_KIND_WORDS: Final = {"health": "health", "social_care": "social care", "community": "community"}


class _Line:
    __slots__ = (
        "because",
        "evaluate",
        "id",
        "inputs",
        "kind",
        "logic",
        "organisation",
        "priority",
        "service",
        "trace_id",
        "urgency",
    )

    def __init__(
        self,
        line_id: str,
        logic: CompiledLogic,
        service: str,
        organisation: str | None,
        kind: str,
        urgency: str,
        priority: Priority | str,
        because: Template | None,
    ) -> None:
        self.id = line_id
        self.trace_id = line_id  # the route rule prefixes its own id
        self.logic = logic
        self.evaluate = logic.evaluator
        self.inputs = input_getters(logic)
        self.service = service
        self.organisation = organisation
        self.kind = kind
        self.urgency = urgency
        #: a fixed Priority, or the name of the band holding one
        self.priority = priority
        self.because = because


class RouteStep(RuleKind):
    """Produces the decision's services, route and priority."""

    name: ClassVar[str] = "route"
    schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["referrals"],
        "properties": {
            "no_referral_priority": {"enum": [p.value for p in Priority]},
            "referrals": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "when", "service", "urgency", "priority"],
                    "properties": {
                        "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*$"},
                        "when": LOGIC_SCHEMA,
                        "service": {"type": "string", "minLength": 1},
                        "urgency": {"enum": [u.value for u in Urgency]},
                        "priority": {
                            "anyOf": [
                                {"enum": [p.value for p in Priority]},
                                {"type": "string", "pattern": "^bands\\.[a-z][a-z0-9_]*$"},
                            ]
                        },
                        "route": {"enum": sorted(SERVICE_KINDS)},
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
        self.no_referral_priority = Priority(config.get("no_referral_priority", "no_risk"))
        lines: list[_Line] = []
        seen: set[str] = set()
        for index, line in enumerate(config["referrals"]):
            if line["id"] in seen:
                context.problem(("referrals", index, "id"), f"referral {line['id']!r} is repeated")
            seen.add(line["id"])
            resolved = self._service(line, index, context)
            logic = context.condition(line["when"], context.at("referrals", index, "when"))
            priority: Priority | str
            if line["priority"].startswith("bands."):
                priority = line["priority"][len("bands.") :]
                context.read("band", priority, context.at("referrals", index, "priority"))
            else:
                priority = Priority(line["priority"])
            because = (
                context.template(line["because"], context.at("referrals", index, "because"))
                if "because" in line
                else None
            )
            if resolved is None or logic is None:
                continue
            organisation, kind = resolved
            lines.append(
                _Line(
                    line["id"],
                    logic,
                    line["service"],
                    organisation,
                    kind,
                    line["urgency"],
                    priority,
                    because,
                )
            )
        for line_obj in lines:
            line_obj.trace_id = f"{rule_id}/{line_obj.id}"
        self.lines = tuple(lines)
        context.write("decision", "route", context.pointer)

    @staticmethod
    def _service(
        line: Mapping[str, Any], index: int, context: RuleContext
    ) -> tuple[str | None, str] | None:
        """The organisation and kind of the line's service, checking it against the services."""
        slug, declared = line["service"], line.get("route")
        if context.services is None:
            if declared is None:
                context.problem(
                    ("referrals", index),
                    f"cannot tell the route of service {slug!r}: give 'route' or the services",
                )
                return None
            return None, declared
        spec = context.services.get(slug)
        if spec is None:
            context.problem(("referrals", index, "service"), f"unknown service {slug!r}")
            return None
        if declared is not None and declared != spec.kind:
            context.problem(
                ("referrals", index, "route"),
                f"service {slug!r} is a {_KIND_WORDS[spec.kind]} service, not {declared}",
            )
        return spec.organisation, spec.kind

    def _line_priority(self, line: _Line, state: EvalState) -> Priority | None:
        if isinstance(line.priority, Priority):
            return line.priority
        try:
            return Priority(state.bands.get(line.priority, ""))
        except ValueError:
            return None

    def evaluate(self, state: EvalState) -> None:
        referred: dict[str, Referral] = {}
        order: dict[str, int] = {}
        priorities: list[Priority] = []
        reasons: list[tuple[str, Priority | None]] = []
        for position, line in enumerate(self.lines):
            try:
                fired = truthy(line.evaluate(state, state.budget))
            except BudgetExceeded:
                fired = False
            priority = self._line_priority(line, state) if fired else None
            if fired:
                if priority is not None:
                    priorities.append(priority)
                reasons.append((line.service, priority))
                existing = referred.get(line.service)
                if existing is None:
                    referred[line.service] = Referral(
                        line.service,
                        line.organisation,
                        line.kind,
                        line.urgency,
                        priority or self.no_referral_priority,
                    )
                    order[line.service] = position
                else:
                    if URGENCY_RANK[line.urgency] < URGENCY_RANK[existing.urgency]:
                        existing.urgency = line.urgency
                    if priority is not None and priority.rank < existing.priority.rank:
                        existing.priority = priority
            state.trace.append((line.trace_id, fired, self, (line, fired, priority)))
        services = sorted(
            referred.values(),
            key=lambda r: (URGENCY_RANK[r.urgency], order[r.service]),
        )
        route = route_for({referral.kind for referral in services})
        priority = Priority.most_urgent(priorities) if priorities else self.no_referral_priority
        state.services = services
        state.route = route
        state.priority = priority
        state.trace.append((self.rule_id, True, self, (services, route.value, priority, reasons)))

    def trace_inputs(self, state: EvalState, detail: Any) -> dict[str, Any]:
        if isinstance(detail[0], _Line):
            return {path: get(state) for path, get in detail[0].inputs}
        return {}

    def explain(self, state: EvalState, detail: Any) -> str:
        if isinstance(detail[0], _Line):
            line, fired, priority = detail
            return self._explain_line(
                state, line, self.trace_inputs(state, detail), fired, priority
            )
        return self._explain_route(*detail)

    def _explain_line(
        self,
        state: EvalState,
        line: _Line,
        inputs: Mapping[str, Any],
        fired: bool,
        priority: Priority | None,
    ) -> str:
        described = describe_inputs(inputs, self.items)
        given = f" ({described})" if described else ""
        if not fired:
            return f"No referral to {line.service}: its condition does not apply{given}"
        reason = line.because.render(state) if line.because is not None else ""
        urgency = Urgency(line.urgency).label.lower()
        level = f", priority {priority.label.lower()}" if priority is not None else ""
        sentence = f"Refer to {line.service} ({urgency}{level})"
        return sentence + (f" because {reason}" if reason else given)

    def _explain_route(
        self,
        services: list[Referral],
        route: str,
        priority: Priority,
        reasons: list[tuple[str, Priority | None]],
    ) -> str:
        if not services:
            return (
                f"Route community, priority {priority.label.lower()}: "
                "no referral applies, so signposting to community support"
            )
        by_kind: dict[str, list[str]] = {}
        for referral in services:
            by_kind.setdefault(referral.kind, []).append(referral.service)
        parts = [
            f"{_KIND_WORDS[kind]} ({', '.join(slugs)})"
            for kind in ("health", "social_care", "community")
            if (slugs := by_kind.get(kind))
        ]
        sources = [service for service, level in reasons if level is priority]
        source = f" from {', '.join(dict.fromkeys(sources))}" if sources else ""
        return (
            f"Route {route.replace('_', ' ')} because of referrals to {' and '.join(parts)}; "
            f"priority {priority.label.lower()}{source}"
        )
