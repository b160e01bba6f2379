"""What a receiving partner does with a referral: accept (optionally assigning a worker),
decline (with a reason) or complete it; and raising a referral's own priority, with a reason.

Only the organisation the referral is addressed to may act on it or see it in its queue; to
anyone else it does not exist. Every change is checked against the version the caller last
saw (optimistic lock on ``Referral.version``) and audited in the caller's transaction. The JSON
API (``PATCH /api/v1/referrals/{id}``) and the web work queue both use these functions, so one
rule holds at every door.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError, StaleEdit
from ..records.services import RecordNotFound, record_key
from ..scoring.outcomes import Priority, Urgency
from .models import Referral, ReferralStatus


class ReferralError(DomainError):
    """The change cannot be made (for example, declining a completed referral).

    ``field`` names the form field (and request body member) the message belongs to, if any.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, {field: message} if field else None)
        self.field = field


class StaleReferral(ReferralError, StaleEdit):
    """The referral changed since the caller loaded it; nothing was overwritten."""

    def __init__(self, current: Referral) -> None:
        super().__init__("Someone else changed this referral since you opened it")
        self.current = current


#: Which status each action may start from.
_ALLOWED_FROM = {
    ReferralStatus.ACCEPTED: (ReferralStatus.PENDING,),
    ReferralStatus.DECLINED: (ReferralStatus.PENDING, ReferralStatus.ACCEPTED),
    ReferralStatus.COMPLETED: (ReferralStatus.ACCEPTED,),
}


def referral_for(session: DbSession, actor: Actor, referral_id: uuid.UUID | str) -> Referral:
    """A referral addressed to the actor's organisation; RecordNotFound for any other."""
    referral = session.scalar(
        select(Referral)
        .where(Referral.id == record_key(referral_id))
        .options(joinedload(Referral.service), joinedload(Referral.organisation))
    )
    if referral is None or referral.organisation_id != actor.organisation_id:
        raise RecordNotFound(str(referral_id))
    return referral


def open_referral(session: DbSession, actor: Actor, referral_id: uuid.UUID | str) -> Referral:
    """:func:`referral_for`, audited as a view."""
    referral = referral_for(session, actor, referral_id)
    record_event(
        session,
        actor,
        "referral.view",
        record_type="referral",
        record_id=referral.id,
        client_id=referral.client_id,
    )
    return referral


def queue(
    session: DbSession,
    actor: Actor,
    *,
    status: ReferralStatus | None = None,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> list[Referral]:
    """Referrals to the actor's organisation, oldest first (ids are time-ordered), audited."""
    stmt = (
        select(Referral)
        .where(Referral.organisation_id == actor.organisation_id)
        .options(joinedload(Referral.service), joinedload(Referral.organisation))
        .order_by(Referral.id)
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(Referral.status == status)
    if after is not None:
        stmt = stmt.where(Referral.id > after)
    found = list(session.scalars(stmt))
    record_event(
        session,
        actor,
        "referral.queue",
        record_type="referral",
        record_id="-",
        detail={"results": len(found), "status": status.value if status else None},
    )
    return found


def worker_for(session: DbSession, actor: Actor, user_id: int | str) -> User:
    """An active user of the actor's organisation, to assign a referral to."""
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        raise ReferralError("There is no such worker in your organisation", "worker") from None
    if not 0 < key < 2**31:
        raise ReferralError("There is no such worker in your organisation", "worker")
    user = session.get(User, key)
    if user is None or user.organisation_id != actor.organisation_id or not user.active:
        raise ReferralError("There is no such worker in your organisation", "worker")
    return user


_ACTIONS = {
    ReferralStatus.ACCEPTED: "referral.accept",
    ReferralStatus.DECLINED: "referral.decline",
    ReferralStatus.COMPLETED: "referral.complete",
}


def _check(actor: Actor, referral: Referral, to: ReferralStatus, expected: int | None) -> None:
    """Refuse the change before anything is touched: wrong organisation, stale or not allowed."""
    if referral.organisation_id != actor.organisation_id:
        raise RecordNotFound(str(referral.id))
    if expected is not None and expected != referral.version:
        raise StaleReferral(referral)
    allowed: Sequence[ReferralStatus] = _ALLOWED_FROM[to]
    if referral.status not in allowed:
        raise ReferralError(
            f"This referral is {referral.status.label.lower()}, so it cannot be {to.label.lower()}"
        )


def _record(
    session: DbSession,
    actor: Actor,
    referral: Referral,
    to: ReferralStatus,
    detail: dict[str, object],
) -> Referral:
    referral.status = to
    session.flush()  # the version check: a concurrent change raises StaleDataError here
    record_event(
        session,
        actor,
        _ACTIONS[to],
        record_type="referral",
        record_id=referral.id,
        client_id=referral.client_id,
        detail=detail,
    )
    return referral


def accept(
    session: DbSession,
    actor: Actor,
    referral: Referral,
    *,
    expected_version: int | None,
    assign_to: User | None = None,
) -> Referral:
    """Accept a pending referral, optionally assigning a worker of the organisation."""
    _check(actor, referral, ReferralStatus.ACCEPTED, expected_version)
    if assign_to is not None and assign_to.organisation_id != actor.organisation_id:
        raise ReferralError("There is no such worker in your organisation", "worker")
    referral.accepted_at = utcnow()
    referral.accepted_by_id = actor.user_id
    referral.assigned_to_id = assign_to.id if assign_to is not None else None
    detail: dict[str, object] = {"assigned_to": assign_to.id if assign_to is not None else None}
    return _record(session, actor, referral, ReferralStatus.ACCEPTED, detail)


def decline(
    session: DbSession,
    actor: Actor,
    referral: Referral,
    *,
    reason: str,
    expected_version: int | None,
) -> Referral:
    """Decline a pending or accepted referral; the reason is required and kept."""
    _check(actor, referral, ReferralStatus.DECLINED, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ReferralError("Say why the referral is declined", "reason")
    referral.declined_at = utcnow()
    referral.declined_by_id = actor.user_id
    referral.decline_reason = reason
    # The reason may describe the person's circumstances: kept on the referral, not audited.
    return _record(session, actor, referral, ReferralStatus.DECLINED, {})


def complete(
    session: DbSession,
    actor: Actor,
    referral: Referral,
    *,
    expected_version: int | None,
) -> Referral:
    """Mark an accepted referral completed."""
    _check(actor, referral, ReferralStatus.COMPLETED, expected_version)
    referral.completed_at = utcnow()
    referral.completed_by_id = actor.user_id
    return _record(session, actor, referral, ReferralStatus.COMPLETED, {})


MAX_PRIORITY_REASON = 2000


def raise_priority(
    session: DbSession,
    actor: Actor,
    referral: Referral,
    *,
    priority: Priority,
    urgency: Urgency | None = None,
    reason: str,
    expected_version: int | None = None,
) -> Referral:
    """Raise an open referral's own priority (and optionally its urgency), with a reason.

    A referral's priority and urgency come from its service entry in the decision and are never
    lowered: asking for a less urgent one is refused. The organisation the referral is addressed
    to and the one that made the assessment may raise it. The reason is kept on the referral
    (it may describe the person's circumstances, so it is not copied into the audit trail); the
    change itself is audited as ``referral.priority``.
    """
    if actor.organisation_id not in (referral.organisation_id, referral.assessment.organisation_id):
        raise RecordNotFound(str(referral.id))
    if expected_version is not None and expected_version != referral.version:
        raise StaleReferral(referral)
    if referral.status not in (ReferralStatus.PENDING, ReferralStatus.ACCEPTED):
        raise ReferralError(
            f"This referral is {referral.status.label.lower()}, so its priority cannot change"
        )
    urgency = urgency or referral.urgency
    for lowered, field in (
        (priority.rank > referral.priority.rank, "priority"),
        (urgency.rank > referral.urgency.rank, "urgency"),
    ):
        if lowered:
            raise ReferralError(
                "A referral's priority and urgency can only be raised, never lowered: the "
                "decision gave it what its service needs",
                field,
            )
    if priority is referral.priority and urgency is referral.urgency:
        raise ReferralError("Choose a higher priority or urgency", "priority")
    reason = (reason or "").strip()
    if not reason:
        raise ReferralError("Say why the referral's priority is raised", "priority_reason")
    if len(reason) > MAX_PRIORITY_REASON:
        raise ReferralError(
            f"The reason must be {MAX_PRIORITY_REASON} characters or fewer", "priority_reason"
        )
    previous = (referral.priority, referral.urgency)
    referral.priority, referral.urgency = priority, urgency
    referral.priority_reason = reason
    referral.priority_raised_at = utcnow()
    referral.priority_raised_by_id = actor.user_id
    session.flush()
    record_event(
        session,
        actor,
        "referral.priority",
        record_type="referral",
        record_id=referral.id,
        client_id=referral.client_id,
        detail={
            "from": [previous[0].value, previous[1].value],
            "to": [priority.value, urgency.value],
        },
    )
    return referral


def reasons_for(referral: Referral) -> list[str]:
    """Why the person was referred to this service, in words: the explanation of each rule line
    of the decision that referred to it (from the decision's trace), then any override of the
    overall decision and any raise of this referral's priority, with their reasons."""
    slug = referral.service.slug
    prefix = f"Refer to {slug} ("
    reasons = []
    for step in referral.decision.outcome.get("trace", []):
        because = str(step.get("because", ""))
        if step.get("fired") and because.startswith(prefix):
            _said, _sep, reason = because.partition(") because ")
            reasons.append(reason[:1].upper() + reason[1:] if reason else because)
    decision = referral.decision
    if decision.override_reason:
        by = decision.overridden_by.name if decision.overridden_by else "An assessor"
        reasons.append(
            f"{by} changed the overall decision to {decision.route.label}, "
            f"{decision.priority.label}: {decision.override_reason}"
        )
    if referral.priority_reason:
        # No member of staff: a partner system raised it through the API.
        by = referral.priority_raised_by.name if referral.priority_raised_by else "A partner system"
        reasons.append(
            f"{by} raised this referral to {referral.priority.label}, "
            f"{referral.urgency.label.lower()}: {referral.priority_reason}"
        )
    return reasons


def referrals_of_assessment(session: DbSession, assessment_id: uuid.UUID) -> list[Referral]:
    """The referrals an assessment's decision made, in the order they were made."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.assessment_id == assessment_id)
            .options(joinedload(Referral.service), joinedload(Referral.organisation))
            .order_by(Referral.id)
        )
    )


def referrals_of_client(session: DbSession, client_id: uuid.UUID) -> list[Referral]:
    """Every referral about a person, oldest first (for the record's timeline)."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.client_id == client_id)
            .options(joinedload(Referral.service), joinedload(Referral.organisation))
            .order_by(Referral.id)
        )
    )
