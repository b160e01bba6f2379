"""The outbox: notifications written with what causes them, delivered after commit.

A same-day or urgent referral (new, or raised to it) adds an outbox row in the same flush, so
the row commits or rolls back with the referral, and the request never waits for a mail
server. The scheduled runner's ``deliver-outbox`` job sends each due row: it claims the row
with a conditional UPDATE (a lease), so two runners never send the same row at once, sends it
outside any transaction, and then marks it sent (never sent again) or due again later, with
back-off, until it has failed ``OUTBOX_MAX_ATTEMPTS`` times. Both are audited.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session, joinedload

from ..assessments.models import Referral, ReferralStatus
from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError
from ..partners.models import Service
from ..scoring.outcomes import Urgency
from .mail import DeliveryError, Mailer, Undeliverable, compose
from .models import OutboxKind, OutboxMessage, OutboxStatus

#: Referrals a team is told about at once; the rest wait for the daily digest.
NOTIFIED_AT_ONCE = (Urgency.SAME_DAY, Urgency.URGENT)

_ACTOR = Actor.system("deliver-outbox")
logger = logging.getLogger("assessment_engine.notifications")


def queue_referral(session: DbSession, referral: Referral) -> OutboxMessage:
    """Add the notification of a same-day or urgent referral to the caller's transaction."""
    # A new referral may have only its service object yet (its id is set at this flush).
    service_id = referral.service_id if referral.service_id is not None else referral.service.id
    message = OutboxMessage(
        kind=OutboxKind.REFERRAL,
        service_id=service_id,
        referral=referral,
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
def _queue_at_flush(session: DbSession, _context: Any, _instances: Any) -> None:
    """Referrals that became same-day or urgent in this flush: one outbox row each (once,
    should the hook run twice before the flush writes: see ``kernel.new_rows``)."""
    new = list(session.new)
    queued = {id(obj.referral) for obj in new if isinstance(obj, OutboxMessage)}
    for obj in new:
        if (
            isinstance(obj, Referral)
            and Urgency(obj.urgency) in NOTIFIED_AT_ONCE
            and id(obj) not in queued
        ):
            queue_referral(session, obj)
    for obj in list(session.dirty):
        if isinstance(obj, Referral) and id(obj) not in queued and _raised_to_notified(obj):
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
    cancelled: int = 0

    def __str__(self) -> str:
        said = f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        return said + (f", {self.cancelled} no longer waiting" if self.cancelled else "")


def due(session: DbSession, now: datetime, limit: int) -> list[uuid.UUID]:
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


def claim(session: DbSession, message_id: uuid.UUID, now: datetime, until: datetime) -> bool:
    """Hold a due message until ``until`` (committed); False if another runner holds or sent
    it, or it is not due yet (a retry written since the list of due messages was read).

    One conditional UPDATE: on PostgreSQL a second runner's UPDATE waits for the first's row
    lock and then finds the row claimed; on SQLite writers take turns."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def deliver_due(session: DbSession, mailer: Mailer, policy: DeliveryPolicy) -> DeliveryReport:
    """Send every due message once; commit after each (see the module's docstring). Whatever
    goes wrong with one message is recorded on it (by the error's type) and the next is tried."""
    report = DeliveryReport()
    candidates = due(session, utcnow(), policy.batch)
    session.rollback()  # end the read; each claim is its own transaction
    for message_id in candidates:
        now = utcnow()  # each claim's own time: sending the ones before it took a while
        lease_until = now + policy.lease
        if not claim(session, message_id, now, lease_until):
            continue
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        if _no_longer_waiting(session, message):
            _cancel(session, message, lease_until, report)
            session.commit()
            continue
        address = message.service.team_email
        failure: Exception | None = None
        try:
            if not address:
                raise Undeliverable("the service has no team email address")
            email = compose(
                message,
                to=address,
                sender=policy.sender,
                sign_in_url=policy.sign_in_url,
                service_title=policy.service_title,
            )
        except Exception as error:  # one bad row must not jam delivery
            failure = error
        # No transaction is held while the mail server answers (on SQLite it would hold the
        # database's write lock): the claim keeps other runners off the row meanwhile.
        session.rollback()
        if failure is None:
            try:
                mailer.send(email, to_addrs=[address])
            except Exception as error:
                failure = error
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        if failure is None:
            _sent(session, message, lease_until, report)
        else:
            _failed(session, message, lease_until, policy, failure, report)
        session.commit()
    return report


def _no_longer_waiting(session: DbSession, message: OutboxMessage) -> bool:
    if message.kind is not OutboxKind.REFERRAL or message.referral_id is None:
        return False
    status = session.scalar(select(Referral.status).where(Referral.id == message.referral_id))
    return status is not ReferralStatus.PENDING


def _finish(
    session: DbSession, message: OutboxMessage, lease_until: datetime, **values: object
) -> bool:
    """Write the outcome only while this runner's claim still holds (a runner whose lease ran
    out while the mail server dawdled must not overwrite the one that took the row over)."""
    done = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.claimed_until == lease_until,
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.expire(message)
    return True


def _audit(session: DbSession, message: OutboxMessage, action: str, **detail: object) -> None:
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


def _cancel(
    session: DbSession, message: OutboxMessage, lease_until: datetime, report: DeliveryReport
) -> None:
    if _finish(session, message, lease_until, status=OutboxStatus.CANCELLED):
        report.cancelled += 1
        _audit(session, message, "notification.cancelled", reason="no longer waiting")


def _sent(
    session: DbSession, message: OutboxMessage, lease_until: datetime, report: DeliveryReport
) -> None:
    if _finish(
        session,
        message,
        lease_until,
        status=OutboxStatus.SENT,
        attempts=message.attempts + 1,
        sent_at=utcnow(),
        last_error="",
    ):
        report.sent += 1
        _audit(session, message, "notification.sent")


def _error_words(error: Exception) -> str:
    """The mail server's reply is kept; of anything else only its type (its text could carry
    what the message was about)."""
    if isinstance(error, smtplib.SMTPException | OSError | DeliveryError):
        return f"{type(error).__name__}: {error}"[:500]
    return type(error).__name__


def _failed(
    session: DbSession,
    message: OutboxMessage,
    lease_until: datetime,
    policy: DeliveryPolicy,
    error: Exception,
    report: DeliveryReport,
) -> None:
    attempts = message.attempts + 1
    final = attempts >= policy.max_attempts or isinstance(error, Undeliverable)
    values: dict[str, object] = {"attempts": attempts, "last_error": _error_words(error)}
    if final:
        values["status"] = OutboxStatus.FAILED
    else:
        values["next_attempt_at"] = utcnow() + policy.wait_after(attempts)
    if not _finish(session, message, lease_until, **values):
        return
    if final:
        report.failed += 1
        logger.error(
            "notification %s to service %s failed for good after %d attempts: %s",
            message.id,
            message.service_id,
            attempts,
            type(error).__name__,
        )
    else:
        report.retrying += 1
    _audit(session, message, "notification.failed", final=final, error=type(error).__name__)


# ------------------------------------------------------------------ the administrators' view


class NotSentAgain(DomainError):
    """A notification that may not be sent again (it is not one that failed for good)."""


def undelivered(session: DbSession, limit: int = 200) -> list[OutboxMessage]:
    """What has not reached its team: the notifications that failed for good, and those tried
    at least once that wait to be tried again, newest first (the administrators' page)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.status == OutboxStatus.FAILED,
                    (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.attempts > 0),
                )
            )
            .options(joinedload(OutboxMessage.service).joinedload(Service.organisation))
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
            .limit(limit)
        )
    )


def send_again(session: DbSession, actor: Actor, message_id: uuid.UUID) -> OutboxMessage:
    """An administrator's second go at a notification that failed for good (once the team's
    address is mended, say): due now, with its attempts counted afresh, audited. The runner
    still checks at delivery that what it tells of waits."""
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise NotSentAgain("This notification has not failed, so it is not sent again.")
    message = session.get_one(OutboxMessage, message_id)
    session.refresh(message)
    record_event(
        session,
        actor,
        "notification.send_again",
        record_type="outbox_message",
        record_id=message.id,
        detail={"kind": message.kind.value, "service_id": message.service_id},
    )
    return message
