"""The outbox: notifications written with what causes them, delivered after commit.

A same-day or urgent referral (new, or raised to it) adds an outbox row in the same flush, so
the row commits or rolls back with the referral, and the request never waits for a mail
server. The scheduled runner's ``deliver-outbox`` job sends each due row: it claims the row
with a conditional UPDATE (a lease), so two runners never send the same row at once, sends it
outside any transaction, and then marks it sent (never sent again) or due again later, with
back-off, until it has failed ``OUTBOX_MAX_ATTEMPTS`` times. Both are audited.
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session

from ..assessments.models import Referral
from ..db import utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..scoring.outcomes import Urgency
from .mail import DeliveryError, Mailer, compose
from .models import OutboxKind, OutboxMessage, OutboxStatus

#: Referrals a team is told about at once; the rest wait for the daily digest.
NOTIFIED_AT_ONCE = (Urgency.SAME_DAY, Urgency.URGENT)

_ACTOR = Actor.system("deliver-outbox")


def queue_referral(session: Session, referral: Referral) -> OutboxMessage:
    """Add the notification of a same-day or urgent referral to the caller's transaction."""
    # A new referral may have only its service object yet (its id is set at this flush).
    service_id = referral.service_id if referral.service_id is not None else referral.service.id
    message = OutboxMessage(
        kind=OutboxKind.REFERRAL,
        service_id=service_id,
        detail={"urgency": Urgency(referral.urgency).value},
    )
    session.add(message)
    return message


def _raised_to_notified(referral: Referral) -> bool:
    history = inspect(referral).attrs.urgency.history
    if not history.added:
        return False
    new = Urgency(history.added[0])
    old = Urgency(history.deleted[0]) if history.deleted else None
    return new in NOTIFIED_AT_ONCE and (old is None or new.rank < old.rank)


@event.listens_for(Session, "before_flush")
def _queue_at_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Referrals that became same-day or urgent in this flush: one outbox row each."""
    for obj in list(session.new):
        if isinstance(obj, Referral) and Urgency(obj.urgency) in NOTIFIED_AT_ONCE:
            queue_referral(session, obj)
    for obj in list(session.dirty):
        if isinstance(obj, Referral) and _raised_to_notified(obj):
            queue_referral(session, obj)


@dataclass(frozen=True)
class DeliveryPolicy:
    sender: str
    sign_in_url: str
    service_title: str
    max_attempts: int = 10
    retry_after: timedelta = timedelta(minutes=1)
    longest_wait: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=2)
    batch: int = 100

    def wait_after(self, attempts: int) -> timedelta:
        """Doubling from ``retry_after`` after each failed attempt, at most ``longest_wait``."""
        wait: timedelta = self.retry_after * (2 ** max(attempts - 1, 0))
        return min(wait, self.longest_wait)


def delivery_policy(config: Mapping[str, Any]) -> DeliveryPolicy:
    base = str(config.get("NOTIFICATIONS_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return DeliveryPolicy(
        sender=str(config["MAIL_FROM"]),
        sign_in_url=f"{base}/referrals",
        service_title=str(config.get("SERVICE_NAME") or "Shared Assessment"),
        max_attempts=int(config["OUTBOX_MAX_ATTEMPTS"]),
        retry_after=timedelta(seconds=float(config["OUTBOX_RETRY_SECONDS"])),
    )


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"


def due(session: Session, now: datetime, limit: int) -> list[uuid.UUID]:
    """Pending messages whose time has come and that no runner holds, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def claim(session: Session, message_id: uuid.UUID, now: datetime, lease: timedelta) -> bool:
    """Hold a due message for ``lease`` (committed); False if another runner holds or sent it.

    One conditional UPDATE: on PostgreSQL a second runner's UPDATE waits for the first's row
    lock and then finds the row claimed; on SQLite writers take turns."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def deliver_due(session: Session, mailer: Mailer, policy: DeliveryPolicy) -> DeliveryReport:
    """Send every due message once; commit after each (see the module's docstring)."""
    report = DeliveryReport()
    now = utcnow()
    candidates = due(session, now, policy.batch)
    session.rollback()  # end the read; each claim is its own transaction
    for message_id in candidates:
        if not claim(session, message_id, now, policy.lease):
            continue
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        address = message.service.team_email
        email = compose(
            message,
            to=address,
            sender=policy.sender,
            sign_in_url=policy.sign_in_url,
            service_title=policy.service_title,
        )
        # No transaction is held while the mail server answers (on SQLite it would hold the
        # database's write lock): the claim keeps other runners off the row meanwhile.
        session.rollback()
        failure: Exception | None = None
        try:
            if not address:
                raise DeliveryError("the service has no team email address")
            mailer.send(email)
        except (smtplib.SMTPException, OSError, DeliveryError) as error:
            failure = error
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        if failure is None:
            _sent(session, message, report)
        else:
            _failed(session, message, policy, failure, report)
        session.commit()
    return report


def _audit(session: Session, message: OutboxMessage, action: str, **detail: object) -> None:
    record_event(
        session,
        _ACTOR,
        action,
        record_type="outbox_message",
        record_id=message.id,
        detail={
            "kind": message.kind.value,
            "service_id": message.service_id,
            "attempt": message.attempts,
            **detail,
        },
    )


def _sent(session: Session, message: OutboxMessage, report: DeliveryReport) -> None:
    message.status = OutboxStatus.SENT
    message.attempts += 1
    message.sent_at = utcnow()
    message.claimed_until = None
    message.last_error = ""
    report.sent += 1
    _audit(session, message, "notification.sent")


def _failed(
    session: Session,
    message: OutboxMessage,
    policy: DeliveryPolicy,
    error: Exception,
    report: DeliveryReport,
) -> None:
    message.attempts += 1
    message.claimed_until = None
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    final = message.attempts >= policy.max_attempts
    if final:
        message.status = OutboxStatus.FAILED
        report.failed += 1
    else:
        message.next_attempt_at = utcnow() + policy.wait_after(message.attempts)
        report.retrying += 1
    _audit(session, message, "notification.failed", final=final, error=type(error).__name__)
