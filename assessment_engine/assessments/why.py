""" "Why" in plain words: the reasons of a decision as an assessor or the person reads them.

The stored trace (the API's) explains every rule for administrators and partner systems, with
service slugs and internal names such as ``scores.phq9_total``. The pages show instead: each
referral made, by its service's and organisation's names, with the reason the rules give; each
score by its instrument's name ("PHQ-9 total: 21 (severe)"); the other findings by the titles
their rules give them; and, as "did not apply", only the referrals that were not made. Rule
names stay out of the pages: administrators read them in the questionnaire's rules and in the
API's trace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .models import Decision

_REFERRAL = re.compile(
    r"^Refer to (?P<slug>[^\s(]+) \((?P<words>[^)]*)\)(?: because (?P<why>.*))?$"
)
_NO_REFERRAL = re.compile(r"^No referral to (?P<slug>[^\s:]+):")


@dataclass(frozen=True)
class Why:
    """The reasons of a decision in words, and what did not apply."""

    reasons: list[str]
    not_applied: list[str]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _titles(rules: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """Score and band titles by output name, and the rules by id."""
    scores: dict[str, str] = {}
    bands: dict[str, str] = {}
    by_id: dict[str, Any] = {}
    for rule in rules.get("rules", []) if isinstance(rules, Mapping) else []:
        if not isinstance(rule, Mapping):
            continue
        by_id[str(rule.get("id"))] = rule
        output, title = rule.get("output"), str(rule.get("title") or "")
        if not isinstance(output, str) or not title:
            continue
        # A decision table names its output with its namespace ("bands.personal_care_priority").
        namespace, _dot, name = output.rpartition(".")
        if rule.get("kind") == "weighted_sum" or namespace == "scores":
            scores[name] = title
        elif namespace in ("", "bands"):
            bands[name] = title
    return scores, bands, by_id


def _band_labels(rules: Iterable[Any]) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    for rule in rules:
        for band in rule.get("bands", []) if rule.get("kind") == "bands" else []:
            name = str(band.get("band"))
            labels[(str(rule.get("output")), name)] = str(band.get("label") or name)
    return labels


def explain(
    decision: Decision,
    rules: Mapping[str, Any],
    services: Mapping[str, tuple[str, str]],
) -> Why:
    """The decision's reasons in words; ``services`` maps a slug to (name, organisation name)."""
    outcome = decision.outcome
    score_titles, band_titles, by_id = _titles(rules)
    labels = _band_labels(by_id.values())
    band_of_score = {
        str(rule.get("score")): str(rule.get("output"))
        for rule in by_id.values()
        if rule.get("kind") == "bands"
    }
    reasons: list[str] = []
    scores = outcome.get("scores", {})
    bands = outcome.get("bands", {})
    for name, value in scores.items():
        title = score_titles.get(name)
        if title is None:
            continue
        band = bands.get(band_of_score.get(name, ""))
        shown = f"{title}: {value}"
        if band is not None:
            shown += f" ({labels.get((band_of_score[name], str(band)), str(band))})"
        reasons.append(shown)
    for name, value in bands.items():
        title = band_titles.get(name)
        if title is None or name in band_of_score.values():
            continue
        reasons.append(f"{title}: {labels.get((name, str(value)), str(value)).replace('_', ' ')}")
    referred = {str(entry.get("service")) for entry in outcome.get("services", [])}
    not_applied: dict[str, str] = {}
    for step in outcome.get("trace", []):
        rule_id, because = str(step.get("rule", "")), str(step.get("because", ""))
        fired = bool(step.get("fired"))
        referral = _REFERRAL.match(because)
        missed = _NO_REFERRAL.match(because)
        if fired and referral is not None:
            slug = referral["slug"]
            name, organisation = services.get(slug, (slug, ""))
            where = f"{name} ({organisation})" if organisation else name
            urgency = referral["words"].split(",")[0]
            why = referral["why"]
            reasons.append(f"Referred to {where}, {urgency}" + (f": {why}" if why else ""))
        elif not fired and missed is not None:
            slug = missed["slug"]
            if slug not in referred:
                name, organisation = services.get(slug, (slug, ""))
                where = f"{name} ({organisation})" if organisation else name
                not_applied.setdefault(slug, f"No referral to {where}")
        elif fired:
            rule = by_id.get(rule_id.split("/")[0], {})
            if rule.get("kind") == "condition":
                reasons.append(
                    _sentence(because) if "because" in rule else str(rule.get("title", ""))
                )
    if not referred:
        reasons.append("No referral applies, so the person is signposted to community support")
    return Why([r for r in reasons if r], list(not_applied.values()))
