"""The daily digest: per team (a service with a team address), counts of what waits for it.

What a digest counts comes from contributors registered on the application
(:func:`register_contributor`), each a function ``(session, service, now) -> [DigestLine]``
that returns counts and words with no person, condition or free text in them. Built in:
referrals waiting by urgency, reviews overdue and due within a week (``support.reviews_due``),
and referrals past the 6-week standard with support not started (``support.six_week_breaches``),
each registered in ``notifications.init_app``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..assessments.clock import UK, uk_date
from ..assessments.models import Referral, ReferralStatus
from ..db import DbSession
from ..partners.models import Service
from ..scoring.outcomes import Urgency
from ..support.services import reviews_due, six_week_breaches
from .mail import referrals_waiting
from .models import OutboxKind, OutboxMessage

_KEY = "digest_contributors"


@dataclass(frozen=True)
class DigestLine:
    #: What is counted, like ``referrals.same_day``.
    key: str
    count: int
    #: The words, like "2 same-day referrals are waiting for your team".
    text: str


DigestContributor = Callable[[DbSession, Service, datetime], Sequence[DigestLine]]


def register_contributor(app: Flask, name: str, contributor: DigestContributor) -> None:
    """Add what a digest counts; a name registered twice is refused at start-up."""
    found: dict[str, DigestContributor] = app.extensions.setdefault(_KEY, {})
    if name in found:
        raise ValueError(f"the digest contributor {name!r} is registered twice")
    found[name] = contributor


def contributors(app: Flask) -> list[DigestContributor]:
    return list(app.extensions.get(_KEY, {}).values())


def referrals_waiting_lines(
    session: DbSession, service: Service, _now: datetime
) -> list[DigestLine]:
    """Pending referrals to the service, by urgency, most urgent first."""
    counts = dict(
        session.execute(
            select(Referral.urgency, func.count())
            .where(Referral.service_id == service.id, Referral.status == ReferralStatus.PENDING)
            .group_by(Referral.urgency)
        ).all()
    )
    return [
        DigestLine(
            f"referrals.{urgency.value}",
            counts[urgency],
            referrals_waiting(counts[urgency], urgency.value),
        )
        for urgency in sorted(Urgency, key=lambda u: u.rank)
        if counts.get(urgency)
    ]


#: How far ahead a team's digest counts reviews coming due.
REVIEWS_DUE_WITHIN = timedelta(days=7)


def _count_words(count: int, one: str, many: str) -> str:
    return one if count == 1 else many.format(count=count)


def reviews_lines(session: DbSession, service: Service, now: datetime) -> list[DigestLine]:
    """The service's open reviews: overdue (due before today), and due within a week."""
    today = uk_date(now)
    found = reviews_due(
        session,
        service.organisation_id,
        today,
        due_before=today + REVIEWS_DUE_WITHIN,
        service_id=service.id,
    )
    overdue = sum(1 for review in found if review.overdue_on(today))
    coming = len(found) - overdue
    return [
        DigestLine(
            "reviews.overdue",
            overdue,
            _count_words(overdue, "A review is overdue", "{count} reviews are overdue"),
        ),
        DigestLine(
            "reviews.due",
            coming,
            _count_words(
                coming,
                "A review is due in the next 7 days",
                "{count} reviews are due in the next 7 days",
            ),
        ),
    ]


def six_week_breach_lines(session: DbSession, service: Service, now: datetime) -> list[DigestLine]:
    """The service's referrals past the 6-week standard whose support has not started (those
    that started late are history, not something to act on)."""
    today = uk_date(now)
    count = sum(
        1
        for _referral, clock in six_week_breaches(
            session, service.organisation_id, today, service_id=service.id
        )
        if clock.overdue
    )
    return [
        DigestLine(
            "support.six_week_breaches",
            count,
            _count_words(
                count,
                "A referral has passed the 6-week standard without support starting",
                "{count} referrals have passed the 6-week standard without support starting",
            ),
        )
    ]


def queue_digests(
    session: DbSession, found: Sequence[DigestContributor], now: datetime, hour: int
) -> int:
    """Once the UK day has reached ``hour``: one digest row per team with anything to tell
    and none yet today (a unique key per team and day, so several runners write one)."""
    local = now.astimezone(UK)
    if local.hour < hour:
        return 0
    day = local.date().isoformat()
    services = session.scalars(
        select(Service).where(Service.active.is_(True), Service.team_email != "")
    ).all()
    done = set(
        session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"digest:%:{day}"))
        )
    )
    queued = 0
    for service in services:
        key = f"digest:{service.id}:{day}"
        if key in done:
            continue
        lines = [line for contributor in found for line in contributor(session, service, now)]
        lines = [line for line in lines if line.count > 0]
        if not lines:
            continue
        try:
            with session.begin_nested():
                session.add(
                    OutboxMessage(
                        kind=OutboxKind.DIGEST,
                        service_id=service.id,
                        detail={
                            "day": day,
                            "lines": [
                                {"key": line.key, "count": line.count, "text": line.text}
                                for line in lines
                            ],
                        },
                        dedupe_key=key,
                    )
                )
        except IntegrityError:
            continue  # another runner wrote today's digest first
        queued += 1
    return queued
