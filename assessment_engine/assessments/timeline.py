"""The record timeline: everything that happened about a person, from every partner, newest first.

Built from the records themselves (assessments, decisions, referrals, sharing views), with a
fixed number of queries however long the history is: users and organisations are loaded in the
same queries (no N+1). Who declined or completed a referral is not stored on the referral, so it
is read from the audit trail, again in one query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..db import DbSession
from ..kernel.models import AuditEvent
from ..partners.models import Organisation
from ..records.sharing import sharing_history
from .models import Assessment, Decision, DecisionKind, Referral

#: Audit actions that say who moved a referral on (see assessments.referrals).
REFERRAL_ACTIONS = {
    "referral.accept": "accepted",
    "referral.decline": "declined",
    "referral.complete": "completed",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # assessment, amendment, decision, override, referral, sharing
    title: str
    who: str
    organisation: str
    detail: str = ""
    assessment_id: uuid.UUID | None = None


def who_did(user: User | None, fallback: str = "A partner system") -> str:
    return user.name if user is not None else fallback


def _org(user: User | None, fallback: Organisation | None) -> str:
    if user is not None:
        return user.organisation.name
    return fallback.name if fallback is not None else ""


def _assessment_entries(assessments: list[Assessment]) -> list[TimelineEntry]:
    entries = []
    for a in assessments:
        title = a.questionnaire_version.title
        org = a.organisation
        if a.amends_id is not None:
            entries.append(
                TimelineEntry(
                    a.created_at,
                    "amendment",
                    f"Amendment started: {title}",
                    who_did(a.started_by),
                    _org(a.started_by, org),
                    "A new version of an earlier assessment, starting from its answers",
                    a.id,
                )
            )
        else:
            entries.append(
                TimelineEntry(
                    a.created_at,
                    "assessment",
                    f"Assessment started: {title}",
                    who_did(a.started_by),
                    _org(a.started_by, org),
                    assessment_id=a.id,
                )
            )
        steps = (
            (a.submitted_at, a.submitted_by, "submitted"),
            (a.signed_off_at, a.signed_off_by, "signed off"),
            (a.cosigned_at, a.cosigned_by, "co-signed"),
            (a.discarded_at, a.discarded_by, "discarded"),
        )
        for at, user, verb in steps:
            if at is not None:
                kind = "amendment" if a.amends_id else "assessment"
                name = "Amendment" if a.amends_id else "Assessment"
                entries.append(
                    TimelineEntry(
                        at,
                        kind,
                        f"{name} {verb}: {title}",
                        who_did(user),
                        _org(user, org),
                        assessment_id=a.id,
                    )
                )
    return entries


def _rules_words(decision: Decision) -> str:
    """The questionnaire whose rules decided, by its title ("Joint assessment, version 2")."""
    version = decision.assessment.questionnaire_version
    if version.ruleset_name != decision.ruleset:
        return f"Rules {decision.ruleset}"
    return f"By the rules of {version.title}, version {version.version}"


def _decision_entries(decisions: list[Decision]) -> list[TimelineEntry]:
    entries = []
    for d in decisions:
        org = d.assessment.organisation
        entries.append(
            TimelineEntry(
                d.created_at,
                "decision",
                f"Decision: {d.computed_route.label}, {d.computed_priority.label.lower()} priority",
                who_did(d.created_by),
                _org(d.created_by, org),
                _rules_words(d),
                d.assessment_id,
            )
        )
        if d.overridden_at is not None:
            entries.append(
                TimelineEntry(
                    d.overridden_at,
                    "override",
                    f"Decision overridden: {d.route.label}, {d.priority.label.lower()} priority",
                    who_did(d.overridden_by),
                    _org(d.overridden_by, org),
                    f"Reason: {d.override_reason or ''}",
                    d.assessment_id,
                )
            )
    return entries


def _referral_entries(
    referrals: list[Referral], moves: dict[tuple[str, str], AuditEvent]
) -> list[TimelineEntry]:
    entries = []
    for r in referrals:
        service = f"{r.service.name} ({r.organisation.name})"
        entries.append(
            TimelineEntry(
                r.created_at,
                "referral",
                f"Referral made to {service}",
                "Decision",
                r.assessment.organisation.name,
                f"{r.priority.label} priority, {r.urgency.label.lower()}",
                r.assessment_id,
            )
        )
        for at, action, extra in (
            (r.accepted_at, "referral.accept", ""),
            (r.declined_at, "referral.decline", f"Reason: {r.decline_reason or ''}"),
            (r.completed_at, "referral.complete", ""),
        ):
            if at is None:
                continue
            event = moves.get((action, str(r.id)))
            user = r.accepted_by if action == "referral.accept" else None
            if user is None and event is not None:
                user = event.user
            if action == "referral.accept" and r.assigned_to is not None:
                extra = f"Assigned to {r.assigned_to.name}"
            entries.append(
                TimelineEntry(
                    at,
                    "referral",
                    f"Referral {REFERRAL_ACTIONS[action]} by {r.organisation.name}: "
                    f"{r.service.name}",
                    who_did(user, "A partner system"),
                    _org(user, r.organisation),
                    extra,
                    r.assessment_id,
                )
            )
    return entries


def client_timeline(session: DbSession, client_id: uuid.UUID) -> list[TimelineEntry]:
    """Every assessment, amendment, decision, override, referral and sharing view, newest first.

    The caller has checked (records.access) that the actor may see the record's content.
    """
    assessments = list(
        session.scalars(
            select(Assessment)
            .where(Assessment.client_id == client_id)
            .options(
                joinedload(Assessment.questionnaire_version),
                joinedload(Assessment.organisation),
                joinedload(Assessment.started_by),
                joinedload(Assessment.submitted_by),
                joinedload(Assessment.signed_off_by),
                joinedload(Assessment.cosigned_by),
                joinedload(Assessment.discarded_by),
            )
        ).unique()
    )
    decisions = list(
        session.scalars(
            select(Decision)
            .join(Decision.assessment)
            .where(Assessment.client_id == client_id, Decision.kind == DecisionKind.SUBMISSION)
            .options(
                joinedload(Decision.assessment).joinedload(Assessment.organisation),
                joinedload(Decision.created_by),
                joinedload(Decision.overridden_by),
            )
        ).unique()
    )
    referrals = list(
        session.scalars(
            select(Referral)
            .where(Referral.client_id == client_id)
            .options(
                joinedload(Referral.service),
                joinedload(Referral.organisation),
                joinedload(Referral.assessment).joinedload(Assessment.organisation),
                joinedload(Referral.accepted_by),
                joinedload(Referral.assigned_to),
            )
        ).unique()
    )
    moves = {
        (e.action, e.record_id): e
        for e in session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.client_id == client_id,
                AuditEvent.record_type == "referral",
                AuditEvent.action.in_(list(REFERRAL_ACTIONS)),
            )
            .options(joinedload(AuditEvent.user))
            .order_by(AuditEvent.id)
        ).unique()
    }
    entries = (
        _assessment_entries(assessments)
        + _decision_entries(decisions)
        + _referral_entries(referrals, moves)
    )
    for view in sharing_history(session, client_id):
        partners = ", ".join(p.organisation.name for p in view.partners)
        entries.append(
            TimelineEntry(
                view.recorded_at,
                "sharing",
                f"Sharing view recorded: {view.status.label.lower()}",
                who_did(view.recorded_by),
                view.recorded_by_organisation.name,
                f"Covers {partners}; given on {view.stated_on:%d/%m/%Y}",
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
