"""The audit trail: an append-only, hash-chained record of every view and change.

Events are written in the same transaction as the action they record, so if the audit write
fails the action fails. Each event's hash covers its content and the previous event's hash;
:func:`verify_chain` recomputes them all.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, joinedload

from ..auth.actor import Actor
from ..db import utcnow
from .models import AuditEvent

GENESIS = "0" * 64
#: Any constant: the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK = 727_274_001
#: ``session.info`` key of the chain's last hash, known while this transaction holds the lock.
_LAST_HASH = "audit_chain_last_hash"


class AuditTamperError(RuntimeError):
    """Raised when something tries to change or delete an audit event."""


def _digest(prev_hash: str, event_: AuditEvent) -> str:
    payload = json.dumps(
        [
            prev_hash,
            event_.occurred_at.isoformat(),
            event_.actor,
            event_.user_id,
            event_.organisation_id,
            event_.action,
            event_.record_type,
            event_.record_id,
            str(event_.client_id) if event_.client_id else None,
            event_.address,
            event_.detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    *,
    record_type: str,
    record_id: object,
    client_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction. Never pass answers or tokens.

    The first append of a transaction takes the chain's lock (PostgreSQL: an advisory lock;
    SQLite: the write lock of ``BEGIN IMMEDIATE``) and reads the last hash; later appends in the
    same transaction reuse the hash they wrote, since no one else can append until it ends.
    """
    prev_hash = session.info.get(_LAST_HASH)
    if prev_hash is None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
        else:
            # Events added earlier in this transaction are not yet in the database.
            session.flush()
        prev_hash = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    new = AuditEvent(
        occurred_at=utcnow(),
        user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        actor=actor.label,
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        client_id=client_id,
        address=actor.address[:64],
        detail=detail or {},
        prev_hash=prev_hash or GENESIS,
    )
    new.hash = _digest(new.prev_hash, new)
    # No flush here: the transaction's events are inserted together at its next flush, in the
    # order they were added (the unit of work keeps it), so ids follow the chain.
    session.add(new)
    session.info[_LAST_HASH] = new.hash
    return new


@event.listens_for(Session, "after_transaction_end")
def _forget_last_hash(session: Session, _transaction: Any) -> None:
    """A transaction (or savepoint) ended: the lock may be gone, so read the hash again."""
    session.info.pop(_LAST_HASH, None)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every event's hash in order; report the first event that does not match."""
    prev = GENESIS
    checked = 0
    for row in _in_order(session, batch):
        if row.prev_hash != prev:
            return ChainReport(checked, row.id, "an event before it was changed or removed")
        if _digest(prev, row) != row.hash:
            return ChainReport(checked, row.id, "its content was changed")
        prev = row.hash
        checked += 1
    return ChainReport(checked, None)


def _in_order(session: Session, batch: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


@event.listens_for(AuditEvent, "before_insert")
def _refuse_changed_before_insert(_mapper: Any, _conn: Any, target: AuditEvent) -> None:
    # Events wait for the transaction's next flush; one changed meanwhile is refused here, as
    # a stored one would be by the update guard below.
    if target.hash != _digest(target.prev_hash, target):
        raise AuditTamperError("An audit event was changed after it was recorded.")


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, _target: AuditEvent) -> None:
    raise AuditTamperError("Audit events are append-only.")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, _target: AuditEvent) -> None:
    raise AuditTamperError("Audit events are append-only.")


#: How each action reads on the "who has seen this record" page.
ACTION_LABELS = {
    "client.view": "Opened the record",
    "client.create": "Recorded the person",
    "client.update": "Changed the person's details",
    "client.search": "Searched",
    "client.timeline": "Read the timeline",
    "client.access_log": "Read who has seen the record",
    "client.break_glass": "Emergency access (break glass)",
    "sharing.view": "Read the sharing views",
    "sharing.record": "Recorded a sharing view",
    "assessment.start": "Started an assessment",
    "assessment.view": "Opened an assessment",
    "assessment.save": "Saved answers",
    "assessment.submit": "Submitted an assessment",
    "assessment.sign_off": "Signed off an assessment",
    "assessment.co_sign": "Co-signed an assessment",
    "assessment.amend": "Started an amendment",
    "assessment.changes": "Compared an amendment",
    "decision.create": "Decision made",
    "decision.override": "Overrode a decision",
    "referral.create": "Referral made",
    "referral.view": "Opened a referral",
    "referral.accept": "Accepted a referral",
    "referral.decline": "Declined a referral",
    "referral.complete": "Completed a referral",
}


def client_events(session: Session, client_id: uuid.UUID, limit: int = 2000) -> list[AuditEvent]:
    """Every access to and change of one person's record, newest first, with who and where."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.client_id == client_id)
            .options(joinedload(AuditEvent.user), joinedload(AuditEvent.organisation))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
