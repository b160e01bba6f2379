"""Totals a response states, kept beside the ones the product computes.

A partner may send its own total: a value for a calculated question (``/phq9/total`` in JSON,
its linkId in FHIR) or, in a FHIR response to an imported questionnaire, the item a rule's
score replaced. The product never uses it to decide and never drops it: each stated total is
stored with the assessment (``Assessment.stated_totals``) beside the computed one, and a
disagreement is a warning in the API response and a flag the assessor sees with the decision.

An entry is ``{"title", "stated", "computed", "agrees"}`` plus where the computed value comes
from: ``"pointer"`` (a calculated question) or ``"score"`` (a rule's score), keyed by either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..questionnaires.answers import stated_calculated
from ..questionnaires.runtime import PreparedVersion
from .models import Assessment

#: The longest stated value kept (a partner's total is a number; anything else is shown cut).
_MAX_STATED = 200


def from_answers(prepared: PreparedVersion, given: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The totals ``given`` states for calculated questions, by pointer, not yet reconciled."""
    structure = prepared.questionnaire.structure
    found: dict[str, dict[str, Any]] = {}
    for pointer, value in stated_calculated(structure, given).items():
        question = structure.question(structure.template_pointer(pointer))
        title = question.title if question is not None and question.title else pointer
        found[pointer] = _entry(title, value, pointer=pointer)
    return found


def from_scores(prepared: PreparedVersion, stated: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Stated values of rules' scores (by score name), titled by the rule that computes each."""
    titles: dict[str, str] = {}
    if prepared.ruleset is not None:
        by_id = {rule.rule_id: rule.title for rule in prepared.ruleset.rules}
        writers = prepared.ruleset.score_writers
        titles = {score: by_id.get(rule, score) for score, rule in writers.items()}
    return {
        score: _entry(titles.get(score, score), value, score=score)
        for score, value in stated.items()
    }


def reconcile(
    prepared: PreparedVersion,
    totals: Mapping[str, Mapping[str, Any]],
    answers: Mapping[str, Any],
    scores: Mapping[str, Any] | None,
) -> dict[str, dict[str, Any]]:
    """Each entry with what the product computes on ``answers`` (and the decision's
    ``scores``, when there is a decision) and whether the stated value agrees."""
    calculated = prepared.questionnaire.calculated_values(answers)
    result: dict[str, dict[str, Any]] = {}
    for key, entry in totals.items():
        updated = dict(entry)
        if "score" in entry:
            computed = (scores or {}).get(entry["score"])
        else:
            computed = calculated.get(entry.get("pointer", key))
        updated["computed"] = computed
        updated["agrees"] = _agrees(entry.get("stated"), computed)
        result[key] = updated
    return result


def store(
    prepared: PreparedVersion, assessment: Assessment, totals: Mapping[str, Mapping[str, Any]]
) -> None:
    """Add ``totals`` to the assessment's, reconciled on its answers (and decision, if any)."""
    if not totals:
        return
    merged = {**(assessment.stated_totals or {}), **totals}
    assessment.stated_totals = reconcile(prepared, merged, assessment.answers or {}, None)


def shown(totals: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """The stated totals as the API shows them: each with its ``message``."""
    return {key: {**entry, "message": message(entry)} for key, entry in (totals or {}).items()}


def disagreements(totals: Mapping[str, Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """One warning per stated total that differs from the computed one, in words."""
    return [
        {"pointer": key if key.startswith("/") else f"/scores/{key}", "message": message(entry)}
        for key, entry in (totals or {}).items()
        if not entry.get("agrees")
    ]


def message(entry: Mapping[str, Any]) -> str:
    """``The response stated a PHQ-9 total of 13; the rules computed 11``."""
    stated = f"The response stated a {entry.get('title')} of {_words(entry.get('stated'))}"
    computed = entry.get("computed")
    if computed is None:
        return f"{stated}; the rules computed none, because answers it needs are missing"
    if entry.get("agrees"):
        return f"{stated}; the rules computed the same"
    return f"{stated}; the rules computed {_words(computed)}"


def _entry(title: str, value: Any, **source: str) -> dict[str, Any]:
    kept = value if _is_number(value) or value is None else str(value)[:_MAX_STATED]
    return {"title": title, "stated": kept, "computed": None, "agrees": False, **source}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _agrees(stated: Any, computed: Any) -> bool:
    return _is_number(stated) and _is_number(computed) and float(stated) == float(computed)


def _words(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
