"""Given/expect test cases shipped with each ruleset (``form_schemas/<key>/v<N>.cases.json``).

Format::

    {"cases": [
      {"name": "moderate depression goes to community mental health",
       "given": {"mood": {"phq9": {"item1": 2, ...}}},          (an answers document)
       "expect": {"route": "health", "priority": "substantial",
                  "flags": ["..."],          (these flags must be set; others may be too)
                  "not_flags": ["..."],      (these flags must not be set)
                  "services": ["community-mental-health"],   (exactly these services, any order)
                  "referrals": [{"service": "community-mental-health", "urgency": "soon",
                                 "priority": "substantial"}],   (each referred so; urgency
                                                                 and priority optional)
                  "scores": {"phq9_total": 11, "gad7_total": null},   (null: must be absent)
                  "bands": {"phq9": "moderate"}}}]}

Only the keys given under ``expect`` are checked. The application refuses to load a
questionnaire version whose cases fail, and ``flask check-rules`` prints these results.

``given`` must be answers the questionnaire itself accepts: with ``validate`` (given by the
questionnaire side; this module knows no questionnaire), a case whose ``given`` it refuses fails,
naming each refused answer, so no case passes on answers that no form or API could send. Cases
named in ``exempt`` (a published version's known invalid cases, which cannot change without
changing the version) skip that check and are still evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .compiler import CompiledRuleset
from .decision import DecisionResult
from .errors import RuleEvaluationError

EXPECT_KEYS: Final = frozenset(
    {"route", "priority", "flags", "not_flags", "services", "referrals", "scores", "bands"}
)
#: What an expected referral may say besides its service.
REFERRAL_KEYS: Final = ("urgency", "priority")


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case: ``failures`` says, in words, every expectation not met."""

    name: str
    pointer: str
    failures: tuple[str, ...] = ()
    decision: DecisionResult | None = field(default=None, compare=False)

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        if self.passed:
            return f"PASS {self.name}"
        return f"FAIL {self.name} ({self.pointer}): " + "; ".join(self.failures)


def _case_list(cases: Mapping[str, Any] | Sequence[Any]) -> Sequence[Any]:
    if isinstance(cases, Mapping):
        listed = cases.get("cases")
        return listed if isinstance(listed, list) else []
    return cases


#: Checks a case's ``given``: refused answers by JSON Pointer, each with its messages.
GivenValidator = Callable[[Mapping[str, Any]], Mapping[str, Sequence[str]]]


def run_cases(
    compiled: CompiledRuleset,
    cases: Mapping[str, Any] | Sequence[Any],
    *,
    validate: GivenValidator | None = None,
    exempt: Collection[str] = frozenset(),
) -> list[CaseResult]:
    """Evaluate every case (a cases document or its list) and compare with its expectations.

    A malformed case fails with a message rather than raising, so one bad case does not hide
    the results of the others. A cases document with no cases gives no results. With
    ``validate``, a case whose ``given`` is refused fails (unless its name is in ``exempt``).
    """
    results = []
    for index, case in enumerate(_case_list(cases)):
        pointer = f"/cases/{index}"
        if not isinstance(case, Mapping):
            results.append(CaseResult(f"case {index}", pointer, ("a case must be an object",)))
            continue
        name = str(case.get("name") or f"case {index}")
        problems = _malformed(case)
        if problems:
            results.append(CaseResult(name, pointer, tuple(problems)))
            continue
        refused: list[str] = []
        if validate is not None and name not in exempt:
            refused = [
                f"given {where or '/'} is refused by the questionnaire: {'; '.join(messages)}"
                for where, messages in validate(case["given"]).items()
            ]
        try:
            decision = compiled.evaluate(case["given"])
        except RuleEvaluationError as error:
            results.append(CaseResult(name, pointer, (*refused, str(error))))
            continue
        failures = (*refused, *compare(decision, case["expect"]))
        results.append(CaseResult(name, pointer, failures, decision))
    return results


def _malformed(case: Mapping[str, Any]) -> list[str]:
    problems = []
    if not isinstance(case.get("given"), Mapping):
        problems.append("'given' must be an answers object")
    expect = case.get("expect")
    if not isinstance(expect, Mapping) or not expect:
        problems.append("'expect' must be a non-empty object")
    else:
        unknown = sorted(set(expect) - EXPECT_KEYS)
        if unknown:
            problems.append(f"unknown expectation(s) {', '.join(unknown)}")
        for key in ("flags", "not_flags", "services"):
            if key in expect and not (
                isinstance(expect[key], list) and all(isinstance(n, str) for n in expect[key])
            ):
                problems.append(f"'{key}' must be a list of names")
        for key in ("scores", "bands"):
            if key in expect and not isinstance(expect[key], Mapping):
                problems.append(f"'{key}' must be an object")
        if "referrals" in expect and not _referrals_well_formed(expect["referrals"]):
            problems.append(
                "'referrals' must be a list of objects, each with a service and, as names, "
                "its urgency and priority if they are expected"
            )
    return problems


def _referrals_well_formed(referrals: Any) -> bool:
    return isinstance(referrals, list) and all(
        isinstance(referral, Mapping)
        and isinstance(referral.get("service"), str)
        and set(referral) <= {"service", *REFERRAL_KEYS}
        and all(isinstance(referral.get(key, ""), str) for key in REFERRAL_KEYS)
        for referral in referrals
    )


def _values_match(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    return bool(actual == expected)


def compare(decision: DecisionResult, expect: Mapping[str, Any]) -> Iterable[str]:
    """Each way ``decision`` differs from ``expect``, in words."""
    if "route" in expect and decision.route.value != expect["route"]:
        yield f"route is {decision.route.value}, expected {expect['route']}"
    if "priority" in expect and decision.priority.value != expect["priority"]:
        yield f"priority is {decision.priority.value}, expected {expect['priority']}"
    flags = set(decision.flags)
    missing = [flag for flag in expect.get("flags", []) if flag not in flags]
    if missing:
        yield f"flag(s) {', '.join(missing)} not set (set: {', '.join(decision.flags) or 'none'})"
    unwanted = [flag for flag in expect.get("not_flags", []) if flag in flags]
    if unwanted:
        yield f"flag(s) {', '.join(unwanted)} set but should not be"
    if "services" in expect:
        actual = sorted(decision.service_slugs)
        wanted = sorted(expect["services"])
        if actual != wanted:
            yield f"services are [{', '.join(actual)}], expected [{', '.join(wanted)}]"
    referred = (
        {referral.service: referral for referral in decision.services}
        if expect.get("referrals")
        else {}
    )
    for wanted_referral in expect.get("referrals", []):
        service = wanted_referral["service"]
        referral = referred.get(service)
        if referral is None:
            yield f"no referral to {service}, expected one"
            continue
        actual_values = {"urgency": referral.urgency, "priority": referral.priority.value}
        for key in REFERRAL_KEYS:
            if key in wanted_referral and actual_values[key] != wanted_referral[key]:
                yield (
                    f"referral to {service}: {key} is {actual_values[key]}, "
                    f"expected {wanted_referral[key]}"
                )
    for key, found in (("scores", decision.scores), ("bands", decision.bands)):
        for name, wanted_value in expect.get(key, {}).items():
            value = found.get(name)
            if not _values_match(value, wanted_value):
                shown = "absent" if value is None else value
                yield f"{key}.{name} is {shown}, expected {wanted_value}"
