"""Compile a rules document into an immutable, thread-safe ``CompiledRuleset``.

The rules file (``form_schemas/<key>/v<N>.rules.json``, a sibling of the questionnaire document;
its JSON Schema is ``form_schemas/_meta/rules.schema.json``)::

    {"$schema": "../_meta/rules.schema.json",
     "description": "what these rules are for",
     "rules": [
        {"id": "phq9-total", "kind": "weighted_sum", "title": "PHQ-9 total", ...},
        {"id": "phq9-band", "kind": "bands", ...},
        {"id": "phq9-item9", "kind": "condition", ...},
        {"id": "routing", "kind": "route", ...}]}

Every rule has an ``id`` (unique; shown in the trace), a ``kind`` (a registered rule kind), an
optional ``title`` (used in explanations) and ``description``; its other keys are the kind's
configuration, validated against the kind's JSON Schema (see each kind's module: ``weighted_sum``,
``bands``, ``condition``, ``decision_table``, ``routing``).

Rules communicate through named values: answers by JSON Pointer, ``scores.NAME``,
``bands.NAME`` and ``flags.NAME``. A score or band has exactly one rule that writes it; a flag
may be set by several. Rules run in dependency order (file order where it does not matter), so a
rule may read a value written further down the file; a cycle is refused. Exactly one rule of kind
``route`` makes the decision.

``compile_ruleset`` reports every problem at once (``RulesetError.problems``), each with the JSON
Pointer of the offending place in the rules document: configuration that breaks the kind's
schema, unknown questions, scores, bands, flags, kinds or services, invalid thresholds, cycles.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from jsonschema import Draft202012Validator

from .decision import DecisionResult
from .errors import Problem, RuleEvaluationError, RulesetError
from .items import ItemSpec
from .jsonlogic import DEFAULT_BUDGET, Budget
from .kind import AnswerPlan, EvalState, Namespace, RuleContext, RuleKind, TraceEntry, ref_key
from .outcomes import Priority, Route
from .pointers import join_pointer
from .registry import RuleRegistry
from .services import ServiceSpec

RULE_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]*$"
_DOCUMENT_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "description": {"type": "string"},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "kind"],
                "properties": {
                    "id": {"type": "string", "pattern": RULE_ID_PATTERN},
                    "kind": {"type": "string", "minLength": 1},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                },
            },
        },
    },
}
_DOCUMENT_VALIDATOR: Final = Draft202012Validator(_DOCUMENT_SCHEMA)
_SINGLE_WRITER: Final = frozenset({"score", "band", "decision"})


@dataclass(frozen=True, slots=True)
class _Compiled:
    index: int
    rule: RuleKind
    context: RuleContext


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    """Rules in evaluation order. Immutable: cache one per questionnaire version and share it."""

    name: str
    rules: tuple[RuleKind, ...]
    scores: frozenset[str]
    bands: frozenset[str]
    flags: frozenset[str]
    plan: AnswerPlan
    budget: int = DEFAULT_BUDGET
    #: The rule that writes each score, to name it when a score is not a finite number.
    score_writers: Mapping[str, str] = field(default_factory=dict)

    def evaluate(self, answers: Mapping[str, Any]) -> DecisionResult:
        """Apply every rule to an answers document. Never raises for missing or odd answers;
        raises ``RuleEvaluationError`` naming the rule when a rule wrote a score that is not
        a finite number (JSON cannot hold it, so no such decision is ever stored)."""
        if not isinstance(answers, Mapping):
            answers = {}
        budget = Budget(self.budget)
        state = EvalState(answers, budget, self.plan.project(answers))
        budget.root = state
        for rule in self.rules:
            rule.evaluate(state)
        for name, value in state.scores.items():
            if type(value) is float and not math.isfinite(value):
                raise RuleEvaluationError(
                    self.score_writers.get(name, "?"),
                    f"scores.{name} is {value!r}, which is not a finite number",
                )
        route = state.route if state.route is not None else Route.COMMUNITY
        priority = state.priority if state.priority is not None else Priority.NO_RISK
        return DecisionResult(
            route=route,
            priority=priority,
            scores=state.scores,
            bands=state.bands,
            flags=tuple(state.flags),
            services=tuple(state.services),
            steps=state.trace,
            state=state,
            ruleset=self.name,
            writers=self.score_writers,
        )

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.rule_id for rule in self.rules)


def compile_ruleset(
    rules: Mapping[str, Any],
    items: Mapping[str, ItemSpec],
    registry: RuleRegistry,
    *,
    name: str,
    services: Mapping[str, ServiceSpec] | None = None,
) -> CompiledRuleset:
    """Check and compile a rules document; raises ``RulesetError`` listing every problem.

    ``items`` are the questionnaire's questions by pointer; ``services`` (by slug), when given,
    are checked against the services the rules refer to and give each referral its organisation.
    ``name`` (``"joint-assessment@1"``) is recorded in every decision.
    """
    problems: list[Problem] = [
        Problem(join_pointer("", *error.absolute_path), error.message)
        for error in _DOCUMENT_VALIDATOR.iter_errors(rules)
    ]
    if problems:
        raise RulesetError(name, problems)
    compiled: list[_Compiled] = []
    seen_ids: dict[str, int] = {}
    for index, rule in enumerate(rules["rules"]):
        pointer = f"/rules/{index}"
        rule_id, kind_name = rule["id"], rule["kind"]
        if rule_id in seen_ids:
            problems.append(
                Problem(
                    f"{pointer}/id",
                    f"rule id {rule_id!r} is already used by rule {seen_ids[rule_id]}",
                )
            )
        seen_ids.setdefault(rule_id, index)
        if kind_name not in registry:
            known = ", ".join(sorted(registry))
            problems.append(
                Problem(f"{pointer}/kind", f"unknown rule kind {kind_name!r} (known: {known})")
            )
            continue
        config = {key: value for key, value in rule.items() if key not in RuleKind.ENVELOPE}
        schema_problems = [
            Problem(join_pointer(pointer, *error.absolute_path), error.message)
            for error in registry.validator(kind_name).iter_errors(config)
        ]
        if schema_problems:
            problems.extend(schema_problems)
            continue
        context = RuleContext(rule_id, pointer, items, services)
        try:
            instance = registry[kind_name](rule_id, rule.get("title", ""), config, context)
        except Exception as error:  # a broken plugin must not take the whole load down
            problems.append(Problem(pointer, f"rule kind {kind_name!r} failed: {error!r}"))
            continue
        problems.extend(context.problems)
        compiled.append(_Compiled(index, instance, context))
    problems.extend(_check_references(compiled))
    order, cycle_problems = _evaluation_order(compiled)
    problems.extend(cycle_problems)
    decides = any(ns == "decision" for c in compiled for ns, _, _ in c.context.writes)
    if not decides and not any(rule.get("kind") == "route" for rule in rules["rules"]):
        problems.append(Problem("/rules", "no rule makes the decision: add a 'route' rule"))
    if problems:
        raise RulesetError(name, problems)
    written = {(ns, n) for c in compiled for ns, n, _ in c.context.writes}
    return CompiledRuleset(
        name=name,
        rules=tuple(c.rule for c in order),
        scores=frozenset(n for ns, n in written if ns == "score"),
        bands=frozenset(n for ns, n in written if ns == "band"),
        flags=frozenset(n for ns, n in written if ns == "flag"),
        plan=AnswerPlan(n for c in compiled for ns, n, _ in c.context.reads if ns == "answer"),
        score_writers={
            n: c.context.rule_id for c in compiled for ns, n, _ in c.context.writes if ns == "score"
        },
    )


def _writers(compiled: list[_Compiled]) -> dict[tuple[Namespace, str], list[_Compiled]]:
    writers: dict[tuple[Namespace, str], list[_Compiled]] = {}
    for entry in compiled:
        for namespace, name, _ in entry.context.writes:
            bucket = writers.setdefault((namespace, name), [])
            if entry not in bucket:
                bucket.append(entry)
    return writers


def _check_references(compiled: list[_Compiled]) -> list[Problem]:
    """Values written twice, and reads of scores, bands and flags that no rule writes."""
    problems: list[Problem] = []
    writers = _writers(compiled)
    for (namespace, name), entries in writers.items():
        if namespace in _SINGLE_WRITER and len(entries) > 1:
            first = entries[0].context.rule_id
            what = "the decision" if namespace == "decision" else ref_key(namespace, name)
            for entry in entries[1:]:
                where = next(w for ns, n, w in entry.context.writes if (ns, n) == (namespace, name))
                problems.append(Problem(where, f"{what} is already written by rule {first!r}"))
    for entry in compiled:
        for namespace, name, where in entry.context.reads:
            if namespace == "answer" or (namespace, name) in writers:
                continue
            known = sorted(n for ns, n in writers if ns == namespace)
            hint = f" (known: {', '.join(known)})" if known else ""
            problems.append(Problem(where, f"unknown {namespace} {name!r}{hint}"))
    return problems


def _evaluation_order(compiled: list[_Compiled]) -> tuple[list[_Compiled], list[Problem]]:
    """Rules sorted so each runs after every rule it reads from; file order breaks ties."""
    writers = _writers(compiled)
    depends: dict[int, set[int]] = {}
    for entry in compiled:
        needs = {
            writer.index
            for namespace, name, _ in entry.context.reads
            if namespace != "answer"
            for writer in writers.get((namespace, name), [])
        }
        depends[entry.index] = needs
    by_index = {entry.index: entry for entry in compiled}
    dependants: dict[int, set[int]] = {index: set() for index in by_index}
    waiting = {index: len(needs) for index, needs in depends.items()}
    for index, needs in depends.items():
        for need in needs:
            dependants[need].add(index)
    ready = [index for index, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[_Compiled] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(by_index[index])
        for dependant in dependants[index]:
            waiting[dependant] -= 1
            if waiting[dependant] == 0:
                heapq.heappush(ready, dependant)
    stuck = {index for index, count in waiting.items() if count > 0}
    problems = [
        Problem(
            by_index[index].context.pointer,
            f"rule {by_index[index].context.rule_id!r} is part of a cycle: "
            + " -> ".join(by_index[i].context.rule_id for i in _cycle_from(index, depends, stuck)),
        )
        for index in sorted(stuck)
        if index in _cycle_from(index, depends, stuck)
    ]
    return order, problems


def _cycle_from(start: int, depends: Mapping[int, set[int]], stuck: set[int]) -> list[int]:
    """A dependency cycle through ``start`` (closed: first == last), or [] if none passes it."""
    path = [start]
    seen = {start}

    def walk(node: int) -> bool:
        for need in sorted(depends[node] & stuck):
            if need == start:
                path.append(start)
                return True
            if need not in seen:
                seen.add(need)
                path.append(need)
                if walk(need):
                    return True
                path.pop()
        return False

    return path if walk(start) else []


__all__ = ["CompiledRuleset", "Problem", "RulesetError", "TraceEntry", "compile_ruleset"]
