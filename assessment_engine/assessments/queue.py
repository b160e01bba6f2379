"""The referral work queue of a partner organisation, for the web pages.

Accepting, declining and completing are ``assessments.referrals`` (shared with the JSON API);
this module adds what the queue page needs on top: filters by status, priority and age, the
order (each referral's own urgency first, then its own priority, oldest first within them), the
time from referral to acceptance, and a clock that fits the referral: same-day referrals are due
by the end of the day they were made (UK time), urgent ones within 24 hours, and routine
critical and substantial ones within the 6-week standard. It also turns a lost race inside the
database (``StaleDataError``) into ``StaleReferral``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import Select, case, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..auth.models import Role, User
from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..scoring.outcomes import Priority, Urgency
from . import referrals
from .clock import UK
from .models import Assessment, Referral, ReferralStatus

#: Scotland's eligibility framework: personal care within 6 weeks of assessment for critical
#: and substantial needs.
TARGET = timedelta(weeks=6)
#: An urgent referral is due within a day of being made.
URGENT_WITHIN = timedelta(hours=24)
OPEN = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)
MAX_REASON = 2000

#: The queue's order; ``ix_referrals_open_queue`` holds the same two CASEs (see models).
_URGENCY_RANK = case(
    *[(Referral.urgency == urgency, urgency.rank) for urgency in Urgency], else_=len(Urgency)
)
_PRIORITY_RANK = case(
    *[(Referral.priority == priority, priority.rank) for priority in Priority], else_=len(Priority)
)


@dataclass(frozen=True)
class QueueFilters:
    statuses: tuple[ReferralStatus, ...] = OPEN
    priority: Priority | None = None
    #: Only referrals at least this many days old.
    older_than_days: int | None = None


@dataclass(frozen=True)
class QueueRow:
    """One referral as the queue shows it, with its waiting times worked out."""

    referral: Referral
    now: datetime

    @property
    def age(self) -> timedelta:
        return self.now - self.referral.created_at

    @property
    def time_to_accept(self) -> timedelta | None:
        if self.referral.accepted_at is None:
            return None
        return self.referral.accepted_at - self.referral.created_at

    @property
    def clock(self) -> str:
        """Which clock the referral runs on: "same_day", "urgent", "six_weeks" or ""."""
        if self.referral.urgency is Urgency.SAME_DAY:
            return "same_day"
        if self.referral.urgency is Urgency.URGENT:
            return "urgent"
        return "six_weeks" if self.referral.priority.is_high else ""

    @property
    def target_due(self) -> datetime | None:
        """When the referral is due: the end of its day (UK time) for same-day referrals, 24
        hours for urgent ones, 6 weeks for routine critical and substantial ones; else None."""
        made = self.referral.created_at
        if self.clock == "same_day":
            day = made.astimezone(UK).date() + timedelta(days=1)
            return datetime.combine(day, time(), tzinfo=UK)
        if self.clock == "urgent":
            return made + URGENT_WITHIN
        return made + TARGET if self.clock == "six_weeks" else None

    @property
    def time_left(self) -> timedelta | None:
        """Time left until it is due while the referral is open (negative: overdue)."""
        due = self.target_due
        if due is None or self.referral.status not in OPEN:
            return None
        return due - self.now


def row_for(referral: Referral, now: datetime | None = None) -> QueueRow:
    return QueueRow(referral, now or utcnow())


def describe(delta: timedelta | None) -> str:
    """'3 days', '5 hours', 'under an hour'; '' for None."""
    if delta is None:
        return ""
    seconds = abs(delta.total_seconds())
    days, hours = int(seconds // 86400), int(seconds % 86400 // 3600)
    if days:
        return f"{days} day{'s' if days != 1 else ''}"
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "under an hour"


def work_queue(
    session: DbSession,
    actor: Actor,
    filters: QueueFilters,
    *,
    now: datetime | None = None,
    limit: int = 200,
) -> list[QueueRow]:
    """Referrals addressed to the actor's organisation, most urgent (urgency, then priority)
    and oldest first, audited."""
    now = now or utcnow()
    found = list(session.scalars(queue_statement(actor.organisation_id, filters, now, limit)))
    record_event(
        session,
        actor,
        "referral.queue",
        record_type="referral",
        record_id="-",
        detail={
            "results": len(found),
            "statuses": [s.value for s in filters.statuses],
            "priority": filters.priority.value if filters.priority else None,
            "older_than_days": filters.older_than_days,
        },
    )
    return [QueueRow(referral, now) for referral in found]


def queue_statement(
    organisation_id: int | None, filters: QueueFilters, now: datetime, limit: int
) -> Select[Referral]:
    """The queue's query (its order is what index ``ix_referrals_open_queue`` holds)."""
    stmt = (
        select(Referral)
        .where(Referral.organisation_id == organisation_id)
        .options(
            joinedload(Referral.client),
            joinedload(Referral.service),
            joinedload(Referral.assigned_to),
            # The 6-week clock runs from the assessment's submission (assessments.clock).
            selectinload(Referral.assessment).load_only(Assessment.submitted_at),
        )
        .order_by(_URGENCY_RANK, _PRIORITY_RANK, Referral.created_at, Referral.id)
        .limit(limit)
    )
    if filters.statuses:
        stmt = stmt.where(Referral.status.in_(filters.statuses))
    if filters.priority is not None:
        stmt = stmt.where(Referral.priority == filters.priority)
    if filters.older_than_days:
        stmt = stmt.where(Referral.created_at <= now - timedelta(days=filters.older_than_days))
    return stmt


def workers(session: DbSession, actor: Actor) -> list[User]:
    """The active assessors and team managers a referral to this organisation may go to."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.organisation_id == actor.organisation_id,
                User.active.is_(True),
                User.role.in_([Role.ASSESSOR, Role.TEAM_MANAGER]),
            )
            .order_by(User.name)
        )
    )


def may_decide(actor: Actor) -> bool:
    """Team managers accept and decline referrals for their organisation."""
    return actor.role is Role.TEAM_MANAGER


def may_raise(actor: Actor, referral: Referral) -> bool:
    """Team managers may raise an open referral that is not already critical and same-day."""
    at_most = referral.priority is Priority.CRITICAL and referral.urgency is Urgency.SAME_DAY
    return may_decide(actor) and referral.status in OPEN and not at_most


def may_complete(actor: Actor, referral: Referral) -> bool:
    """A team manager, or the worker the referral was assigned to."""
    if actor.role is Role.TEAM_MANAGER:
        return True
    return actor.user_id is not None and referral.assigned_to_id == actor.user_id


def accept(
    session: DbSession,
    actor: Actor,
    referral: Referral,
    *,
    expected_version: int,
    worker_id: str | int | None,
) -> Referral:
    """Accept, assigning a worker of the organisation (an id from another one is refused)."""
    worker = referrals.worker_for(session, actor, worker_id) if worker_id else None
    try:
        return referrals.accept(
            session, actor, referral, expected_version=expected_version, assign_to=worker
        )
    except StaleDataError:
        raise referrals.StaleReferral(referral) from None


def decline(
    session: DbSession, actor: Actor, referral: Referral, *, expected_version: int, reason: str
) -> Referral:
    """Decline with a reason (kept on the referral, at most :data:`MAX_REASON` characters)."""
    if len(reason or "") > MAX_REASON:
        raise referrals.ReferralError(
            f"The reason must be {MAX_REASON} characters or fewer", "reason"
        )
    try:
        return referrals.decline(
            session, actor, referral, reason=reason, expected_version=expected_version
        )
    except StaleDataError:
        raise referrals.StaleReferral(referral) from None


def raise_priority(
    session: DbSession,
    actor: Actor,
    referral: Referral,
    *,
    expected_version: int,
    priority: str,
    urgency: str,
    reason: str,
) -> Referral:
    """Raise a referral's own priority and urgency from the page's choices, with a reason."""
    try:
        wanted = Priority(priority)
    except ValueError:
        raise referrals.ReferralError("Choose a priority", "priority") from None
    try:
        how_soon = Urgency(urgency) if urgency else referral.urgency
    except ValueError:
        raise referrals.ReferralError("Choose an urgency", "urgency") from None
    try:
        return referrals.raise_priority(
            session,
            actor,
            referral,
            priority=wanted,
            urgency=how_soon,
            reason=reason,
            expected_version=expected_version,
        )
    except StaleDataError:
        raise referrals.StaleReferral(referral) from None


def complete(
    session: DbSession, actor: Actor, referral: Referral, *, expected_version: int
) -> Referral:
    """Mark an accepted referral completed."""
    try:
        return referrals.complete(session, actor, referral, expected_version=expected_version)
    except StaleDataError:
        raise referrals.StaleReferral(referral) from None


def parse_filters(
    statuses: Iterable[str], priority: str | None, older_than: str | None
) -> QueueFilters:
    """Filters from the page's query string; unknown values are ignored, not errors."""
    chosen = tuple(s for s in ReferralStatus if s.value in set(statuses))
    try:
        wanted_priority = Priority(priority) if priority else None
    except ValueError:
        wanted_priority = None
    try:
        days = int(older_than) if older_than else None
    except ValueError:
        days = None
    if days is not None and not 0 < days <= 3650:
        days = None
    return QueueFilters(chosen or OPEN, wanted_priority, days)
