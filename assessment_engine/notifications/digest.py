"""The daily digest: per team (a service with a team address), counts of what waits for it.

What a digest counts comes from contributors registered on the application
(:func:`register_contributor`), each a function ``(session, service, now) -> [DigestLine]``
that returns counts and words with no person, condition or free text in them. Built in:
referrals waiting by urgency. Reviews due and overdue, and 6-week breaches, are added by
registering their functions in ``notifications.init_app`` (they live with the code that knows
them, at or below this layer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..assessments.models import Referral, ReferralStatus
from ..partners.models import Service
from ..scoring.outcomes import Urgency
from .mail import referrals_waiting
from .models import OutboxKind, OutboxMessage

UK = ZoneInfo("Europe/London")
_KEY = "digest_contributors"


@dataclass(frozen=True)
class DigestLine:
    #: What is counted, like ``referrals.same_day``.
    key: str
    count: int
    #: The words, like "2 same-day referrals are waiting for your team".
    text: str


DigestContributor = Callable[[Session, Service, datetime], Sequence[DigestLine]]


def register_contributor(app: Flask, name: str, contributor: DigestContributor) -> None:
    """Add what a digest counts; a name registered twice is refused at start-up."""
    found: dict[str, DigestContributor] = app.extensions.setdefault(_KEY, {})
    if name in found:
        raise ValueError(f"the digest contributor {name!r} is registered twice")
    found[name] = contributor


def contributors(app: Flask) -> list[DigestContributor]:
    return list(app.extensions.get(_KEY, {}).values())


def referrals_waiting_lines(session: Session, service: Service, _now: datetime) -> list[DigestLine]:
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


def queue_digests(
    session: Session, found: Sequence[DigestContributor], now: datetime, hour: int
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
