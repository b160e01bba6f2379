"""Test cases without JSON: a preview's answers and decision saved as a case, and what a
failing case concerns, in the questions' and rules' words.

Pure functions on the test cases document (``{"cases": [...]}``, see ``scoring.cases``) and the
rules document: each returns a new document, never changing the one given.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..scoring.cases import CaseResult, compare
from ..scoring.decision import DecisionResult
from ..scoring.outcomes import Priority, Route
from .rule_editing import RuleEditError
from .structure import Structure

#: What a case saved from the preview expects (those the administrator can change).
SAVED_KEYS = ("route", "priority", "services", "flags", "referrals")


@dataclass(frozen=True)
class ExpectedReferral:
    """A referral a case expects, with its urgency and priority."""

    service: str
    urgency: str
    priority: str


@dataclass(frozen=True)
class Expectation:
    """What a case expects, as the form shows it."""

    route: str
    priority: str
    services: tuple[str, ...]
    flags: tuple[str, ...]
    #: each referral's urgency and priority, when the case pins them (none: not checked)
    referrals: tuple[ExpectedReferral, ...] = ()

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "route": self.route,
            "priority": self.priority,
            "services": sorted(self.services),
            "flags": sorted(self.flags),
        }
        if self.referrals:
            document["referrals"] = [
                {"service": r.service, "urgency": r.urgency, "priority": r.priority}
                for r in sorted(self.referrals, key=lambda r: r.service)
            ]
        return document

    def pinned(self, services: Iterable[str]) -> Expectation:
        """This expectation with only the referrals of ``services`` pinned."""
        kept = set(services)
        return replace(self, referrals=tuple(r for r in self.referrals if r.service in kept))


@dataclass(frozen=True)
class Concern:
    """What a failing case concerns: the rules (by title) and questions (by title) involved."""

    rules: tuple[str, ...]
    questions: tuple[str, ...]


def expectation_of(decision: DecisionResult) -> Expectation:
    """The preview's decision as a case's expectation."""
    return Expectation(
        decision.route.value,
        decision.priority.value,
        tuple(decision.service_slugs),
        tuple(decision.flags),
        tuple(ExpectedReferral(r.service, r.urgency, r.priority.value) for r in decision.services),
    )


def _cases_of(document: Any) -> list[Any]:
    if isinstance(document, list):
        return list(document)
    if isinstance(document, Mapping) and isinstance(document.get("cases"), list):
        return list(document["cases"])
    return []


def case_names(document: Any) -> list[str]:
    return [str(c.get("name")) for c in _cases_of(document) if isinstance(c, Mapping)]


def add_case(
    document: Any, *, name: str, given: Mapping[str, Any], expect: Expectation
) -> dict[str, Any]:
    """The cases document with one more case (a list of cases becomes ``{"cases": [...]}``)."""
    name = name.strip()
    if not name:
        raise RuleEditError("name", "Give the test case a name that says what it shows")
    if name in case_names(document):
        raise RuleEditError("name", f"A test case called “{name}” already exists")
    if expect.route not in {r.value for r in Route}:
        raise RuleEditError("route", "Choose the route this case expects")
    if expect.priority not in {p.value for p in Priority}:
        raise RuleEditError("priority", "Choose the priority this case expects")
    if any(r.service not in expect.services for r in expect.referrals):
        raise RuleEditError("services", "A referral whose urgency is expected must be expected")
    new: dict[str, Any] = copy.deepcopy(dict(document)) if isinstance(document, Mapping) else {}
    new["cases"] = [
        *copy.deepcopy(_cases_of(document)),
        {"name": name, "given": copy.deepcopy(dict(given)), "expect": expect.document()},
    ]
    return new


def remove_case(document: Any, name: str) -> dict[str, Any]:
    """The cases document without the case called ``name``."""
    cases = _cases_of(document)
    kept = [c for c in cases if not (isinstance(c, Mapping) and c.get("name") == name)]
    if len(kept) == len(cases):
        raise RuleEditError("name", "That test case is no longer in the draft")
    new: dict[str, Any] = copy.deepcopy(dict(document)) if isinstance(document, Mapping) else {}
    new["cases"] = copy.deepcopy(kept)
    return new


# ---------------------------------------------------------------------------- concerns


def _variables(logic: Any) -> Iterable[str]:
    if isinstance(logic, Mapping):
        for op, args in logic.items():
            if op == "var":
                name = args[0] if isinstance(args, list) and args else args
                if isinstance(name, str):
                    yield name
            else:
                yield from _variables(args)
    elif isinstance(logic, list):
        for item in logic:
            yield from _variables(item)


def _line_reads(line: Mapping[str, Any]) -> set[str]:
    reads = set(_variables(line.get("when")))
    priority = line.get("priority")
    if isinstance(priority, str) and priority.startswith("bands."):
        reads.add(priority)
    return reads


def _reads_and_writes(
    rule: Mapping[str, Any], services: set[str] | None = None
) -> tuple[set[str], set[str]]:
    """What a built-in rule reads (answer pointers, ``scores.X``...) and writes; for the route
    rule, only its lines referring to ``services`` (all lines when None)."""
    kind = rule.get("kind")
    if kind == "weighted_sum":
        items = rule.get("items")
        return {str(p) for p in items} if isinstance(items, list | dict) else set(), {
            f"scores.{rule.get('output')}"
        }
    if kind == "bands":
        return {f"scores.{rule.get('score')}"}, {f"bands.{rule.get('output')}"}
    if kind == "condition":
        return set(_variables(rule.get("when"))), {f"flags.{rule.get('flag')}"}
    if kind == "route":
        reads: set[str] = set()
        for line in rule.get("referrals", []) if isinstance(rule.get("referrals"), list) else []:
            if isinstance(line, Mapping) and (services is None or line.get("service") in services):
                reads |= _line_reads(line)
        return reads, {"route", "priority", "services"}
    return set(_variables(rule)), set()


def _services_concerned(result: CaseResult, expect: Mapping[str, Any]) -> set[str] | None:
    """The services whose referral lines a failing case concerns: those expected but not
    referred and referred but not expected; else those expected or referred."""
    if result.decision is None:
        return None
    actual = set(result.decision.service_slugs)
    wanted = expect.get("services")
    if isinstance(wanted, list):
        differ = actual ^ {str(s) for s in wanted}
        if differ:
            return differ
    failing = {
        str(referral.get("service"))
        for referral in _listed(expect.get("referrals"))
        if list(compare(result.decision, {"referrals": [referral]}))
    }
    if failing:
        return failing
    if isinstance(wanted, list):
        return actual | {str(s) for s in wanted}
    return actual or None


def _listed(referrals: Any) -> list[Mapping[str, Any]]:
    """The expected referrals a case lists, as well formed as ``compare`` reads them."""
    if not isinstance(referrals, list):
        return []
    return [r for r in referrals if isinstance(r, Mapping) and isinstance(r.get("service"), str)]


def _failed_targets(result: CaseResult, expect: Mapping[str, Any]) -> set[str]:
    """What the case's failing expectations are about (``route``, ``flags.X``, ``scores.X``)."""
    decision = result.decision
    if decision is None:
        return set()
    targets: set[str] = set()
    for key in ("route", "priority", "services"):
        if key in expect and list(compare(decision, {key: expect[key]})):
            targets.add(key)
    referrals = _listed(expect.get("referrals"))
    if referrals and any(compare(decision, {"referrals": referrals})):
        targets.add("services")
    for key in ("flags", "not_flags"):
        for flag in expect.get(key, []) if isinstance(expect.get(key), list) else []:
            if list(compare(decision, {key: [flag]})):
                targets.add(f"flags.{flag}")
    for key in ("scores", "bands"):
        wanted = expect.get(key)
        for name, value in wanted.items() if isinstance(wanted, Mapping) else []:
            if list(compare(decision, {key: {name: value}})):
                targets.add(f"{key}.{name}")
    return targets


def concerns(
    result: CaseResult,
    expect: Mapping[str, Any],
    rules: Mapping[str, Any] | None,
    structure: Structure | None,
) -> Concern:
    """The rules whose outputs the failing expectations are about, the rules they read from,
    and the questions all of those read: where to look to put the case or the rules right."""
    listed = [r for r in (rules or {}).get("rules", []) if isinstance(r, Mapping)]
    services = _services_concerned(result, expect)
    io = [(rule, *_reads_and_writes(rule, services)) for rule in listed]
    wanted = _failed_targets(result, expect)
    involved: list[Mapping[str, Any]] = []
    pointers: list[str] = []
    while wanted:
        target = wanted.pop()
        for rule, reads, writes in io:
            if target in writes and rule not in involved:
                involved.append(rule)
                for read in sorted(reads):
                    if read.startswith("/"):
                        pointers.append(read)
                    else:
                        wanted.add(read)
    order = {id(rule): index for index, rule in enumerate(listed)}
    titles = [
        str(rule.get("title") or rule.get("id"))
        for rule in sorted(involved, key=lambda r: order[id(r)])
    ]
    questions: list[str] = []
    for pointer in pointers:
        question = structure.question(pointer) if structure is not None else None
        questions.append(question.title if question is not None else pointer)
    return Concern(tuple(dict.fromkeys(titles)), tuple(dict.fromkeys(questions)))


def case_expectations(document: Any) -> Sequence[Mapping[str, Any]]:
    """Each case's ``expect`` in order (an empty mapping for a malformed case)."""
    found: list[Mapping[str, Any]] = []
    for case in _cases_of(document):
        expect = case.get("expect") if isinstance(case, Mapping) else None
        found.append(expect if isinstance(expect, Mapping) else {})
    return found
