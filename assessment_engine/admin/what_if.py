"""What if: recent submitted assessments re-scored under another version's rules.

For administrators weighing a change to the rules. Answers are carried forward to that version
by question id (assessments.review.carry_forward); each result is stored as a decision marked
"what if" (never acted on, no referrals). The whole decision is compared: route, priority, each
referral's service, urgency and priority, and flags.

What the rules computed is compared with what the new rules compute. An assessor's override of
a decision is shown beside it, never counted as a change the rules make: a decision overridden
from "health" to "both" whose rules still say "health" has not changed.

Rows are named by the person and the date the assessment was submitted, as the administrator
may see them (``records.access``: administrators know a person's identity, never answers); the
people named are recorded in one audit event linked to each record, as a search is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..assessments.models import Assessment, AssessmentStatus, Decision
from ..assessments.services import current_decision, prepare_version, what_if
from ..db import DbSession
from ..kernel import policy
from ..kernel.actor import Actor
from ..kernel.audit import link_clients, record_event
from ..questionnaires.carry_forward import carry_forward
from ..questionnaires.drafts import AdminError
from ..questionnaires.models import Questionnaire, QuestionnaireVersion
from ..questionnaires.preview import VersionRuntime
from ..questionnaires.runtime import VersionCache
from ..questionnaires.services import services_catalogue
from ..records.access import access_to
from ..scoring.outcomes import Priority, Route, Urgency

#: At most this many of the latest submitted assessments are re-scored in one go.
LIMIT = 100

#: How a person is named when the administrator may not know who they are.
UNNAMED = "A person whose record is not shared with you"


@dataclass(frozen=True)
class Referred:
    """One referral of a decision."""

    service: str
    urgency: str
    priority: str
    #: the service's name, as the services list has it
    name: str = ""

    @property
    def title(self) -> str:
        return self.name or self.service

    @property
    def words(self) -> str:
        return f"{self.title} ({_urgency(self.urgency)}, priority {_priority(self.priority)})"


@dataclass(frozen=True)
class Outcome:
    """What the rules decided: the route, priority, referrals and flags."""

    route: Route
    priority: Priority
    referrals: tuple[Referred, ...]
    flags: tuple[str, ...]

    @classmethod
    def computed(cls, decision: Decision, names: Mapping[str, str]) -> Outcome:
        """The rules' own decision, before any override (services named by ``names``)."""
        outcome: Mapping[str, Any] = decision.outcome or {}
        referrals = []
        for entry in outcome.get("services") or []:
            if isinstance(entry, Mapping):
                slug = str(entry.get("service"))
                referrals.append(
                    Referred(
                        slug,
                        str(entry.get("urgency") or ""),
                        str(entry.get("priority") or ""),
                        names.get(slug, ""),
                    )
                )
            else:
                referrals.append(Referred(str(entry), "", "", names.get(str(entry), "")))
        flags = tuple(sorted(str(flag) for flag in outcome.get("flags") or []))
        return cls(
            decision.computed_route,
            decision.computed_priority,
            tuple(sorted(referrals, key=lambda r: r.service)),
            flags,
        )

    @property
    def summary(self) -> str:
        return f"{self.route.label}, {self.priority.label}"


def _urgency(value: str) -> str:
    try:
        return Urgency(value).label.lower()
    except ValueError:
        return "urgency not recorded"


def _priority(value: str) -> str:
    try:
        return Priority(value).label.lower()
    except ValueError:
        return "not recorded"


def changes(before: Outcome, after: Outcome) -> list[str]:
    """Every way ``after`` differs from ``before``, in words."""
    found = []
    if before.route != after.route:
        found.append(f"Route: {before.route.label} to {after.route.label}")
    if before.priority != after.priority:
        found.append(f"Priority: {before.priority.label} to {after.priority.label}")
    old = {r.service: r for r in before.referrals}
    new = {r.service: r for r in after.referrals}
    for service in sorted(old.keys() | new.keys()):
        was, now = old.get(service), new.get(service)
        if was is None and now is not None:
            found.append(f"New referral to {now.words}")
        elif now is None and was is not None:
            found.append(f"No referral to {was.title} (was {was.words})")
        elif was is not None and now is not None:
            if was.urgency != now.urgency:
                found.append(
                    f"Referral to {now.title}: urgency {_urgency(was.urgency)} to "
                    f"{_urgency(now.urgency)}"
                )
            if was.priority != now.priority:
                found.append(
                    f"Referral to {now.title}: priority {_priority(was.priority)} to "
                    f"{_priority(now.priority)}"
                )
    for flag in sorted(set(after.flags) - set(before.flags)):
        found.append(f"Flag {flag} now set")
    for flag in sorted(set(before.flags) - set(after.flags)):
        found.append(f"Flag {flag} no longer set")
    return found


@dataclass(frozen=True)
class Override:
    """An assessor's change to the decision: kept apart from what the rules decide."""

    route: Route
    priority: Priority
    by: str

    @property
    def summary(self) -> str:
        return f"{self.route.label}, {self.priority.label}"


@dataclass(frozen=True)
class Rescored:
    assessment_id: uuid.UUID
    person: str
    organisation: str
    submitted_at: datetime | None
    from_version: int
    before: Outcome
    after: Outcome
    changes: tuple[str, ...]
    override: Override | None
    not_carried: int

    @property
    def changed(self) -> bool:
        """Whether the rules decide differently (an override is not a rule change)."""
        return bool(self.changes)


@dataclass(frozen=True)
class WhatIfReport:
    ruleset: str
    rows: list[Rescored]

    @property
    def changed(self) -> list[Rescored]:
        return [row for row in self.rows if row.changed]

    @property
    def overridden(self) -> list[Rescored]:
        return [row for row in self.rows if row.override is not None]


def _override(decision: Decision) -> Override | None:
    if not decision.override_reason:
        return None
    by = decision.overridden_by.name if decision.overridden_by else "an assessor"
    return Override(decision.route, decision.priority, by)


def rescore(
    session: DbSession,
    actor: Actor,
    cache: VersionCache,
    version: QuestionnaireVersion,
    runtime: VersionRuntime,
    *,
    limit: int = LIMIT,
) -> WhatIfReport:
    """Re-score the latest submitted assessments of this questionnaire (on other versions)."""
    if runtime.questionnaire is None or runtime.ruleset is None:
        raise AdminError("This version has problems to fix before its rules can be tried out")
    assessments = session.scalars(
        select(Assessment)
        .join(Assessment.questionnaire_version)
        .join(QuestionnaireVersion.questionnaire)
        .where(
            Questionnaire.id == version.questionnaire_id,
            Assessment.questionnaire_version_id != version.id,
            Assessment.status.in_([AssessmentStatus.SUBMITTED, AssessmentStatus.SIGNED_OFF]),
        )
        .options(
            selectinload(Assessment.decisions),
            joinedload(Assessment.organisation),
            joinedload(Assessment.questionnaire_version),
            joinedload(Assessment.client),
        )
        .order_by(Assessment.submitted_at.desc(), Assessment.id)
        .limit(limit)
    ).all()
    names = {
        slug: spec.name for slug, spec in services_catalogue(session, cache.form_schemas).items()
    }
    rows = []
    named: list[uuid.UUID] = []
    for assessment in assessments:
        decision = current_decision(assessment)
        if decision is None:
            continue
        pinned = prepare_version(session, cache, assessment.questionnaire_version)
        answers, flagged = carry_forward(pinned, runtime, assessment.answers or {})  # type: ignore[arg-type]
        after = what_if(session, actor, assessment, runtime, answers)  # type: ignore[arg-type]
        before_outcome = Outcome.computed(decision, names)
        after_outcome = Outcome.computed(after, names)
        access = access_to(session, actor, assessment.client)
        if access.decision.allows(policy.Level.IDENTITY):
            person = assessment.client.display_name
            named.append(assessment.client_id)
        else:
            person = UNNAMED
        rows.append(
            Rescored(
                assessment_id=assessment.id,
                person=person,
                organisation=assessment.organisation.name,
                submitted_at=assessment.submitted_at,
                from_version=assessment.questionnaire_version.version,
                before=before_outcome,
                after=after_outcome,
                changes=tuple(changes(before_outcome, after_outcome)),
                override=_override(decision),
                not_carried=len(flagged),
            )
        )
    _audit_names(session, actor, runtime.ruleset_name, named)
    return WhatIfReport(runtime.ruleset_name, rows)


def _audit_names(session: DbSession, actor: Actor, ruleset: str, named: list[uuid.UUID]) -> None:
    """One event for the report, linked to every person it names (as a search is)."""
    ids = list(dict.fromkeys(named))
    event = record_event(
        session,
        actor,
        "what_if.report",
        record_type="questionnaire_version",
        record_id=ruleset,
        detail={"ruleset": ruleset, "people": len(ids), "clients": [str(i) for i in ids]},
    )
    link_clients(session, event, ids)
