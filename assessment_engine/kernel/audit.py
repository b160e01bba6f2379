"""The audit trail: an append-only, hash-chained record of every view and change.

Events are written in the same transaction as the action they record, so if the audit write
fails the action fails. Each event's hash covers its content and the previous event's hash;
:func:`verify_chain` recomputes them all.

The trail is partitioned into ``AUDIT_CHAIN_PARTITIONS`` chains (default 16): an event joins
the chain of its person's shard (the client id modulo the number of chains), or, with no
person, of its organisation's. Each chain has its own lock, taken only at commit
(:func:`write_pending`), after the request's own work, so audited requests about different
people no longer queue for one lock, whichever process or app server they run in. Each
chain is hash-linked on its own (an event's ``prev_hash`` is the hash of the chain's event
before it); the signed checkpoints (records/checkpoints.py) cover every chain at once through
a Merkle root of the chains' heads. Events written before the trail was partitioned are all
in chain 0, as they were chained; changing the number of chains later moves no event.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, insert, or_, select, text
from sqlalchemy.orm import Session, joinedload, scoped_session

from ..db import DbSession, utcnow
from .actor import Actor
from .models import AuditEvent, AuditEventClient

GENESIS = "0" * 64
#: Any constant: with a chain's number, the PostgreSQL advisory lock (the two-key form) that
#: serialises appends to that chain.
_CHAIN_LOCK = 727_274_001
#: How many chains the trail is split into when the application does not say
#: (``AUDIT_CHAIN_PARTITIONS``).
DEFAULT_PARTITIONS = 16
#: ``session.info`` key of the events recorded in the transaction, waiting for its commit.
_PENDING = "audit_events_pending"
#: ``session.info`` key of the people each pending event is linked to (:func:`link_clients`).
_LINKS = "audit_event_links_pending"
#: ``session.info`` key of the refused attempts noted in the request, kept through its rollback.
_REFUSED = "audit_refusals_pending"
#: The action of a refused attempt's event.
REFUSED = "access.refused"
#: ``session.info`` key of the last event the transaction appended, for what signs the chain at
#: the same commit, still under the chain's lock (records/checkpoints.py).
APPENDED_UP_TO = "audit_appended_up_to"


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
    session: DbSession,
    actor: Actor,
    action: str,
    *,
    record_type: str,
    record_id: object,
    client_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one event in the caller's transaction. Never pass answers or tokens.

    The event joins the chain when the transaction commits (:func:`write_pending`): only then
    is the chain's lock taken, so concurrent requests do their work side by side and queue only
    for the moment of appending. If the transaction (or the savepoint the event was recorded
    in) rolls back, the event goes with it; if writing the events fails, the commit fails.
    """
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
    )
    own = _own(session)
    recorded_in = own.get_nested_transaction() or own.get_transaction()
    if recorded_in is None:
        own.connection()  # begin the transaction the event belongs to
        recorded_in = own.get_transaction()
    own.info.setdefault(_PENDING, []).append((new, recorded_in))
    return new


#: ``detail`` key of the digest of the people an event is linked to (``audit_event_clients``):
#: the links are rows of their own, outside the chain; the digest puts them under its hash.
LINKED = "linked"


def linked_digest(client_ids: Iterable[uuid.UUID | str]) -> str:
    """SHA-256 of the people's ids, sorted, one a line: the same whatever their order."""
    return hashlib.sha256("\n".join(sorted(str(c) for c in client_ids)).encode()).hexdigest()


def link_clients(
    session: DbSession,
    event_: AuditEvent,
    client_ids: Iterable[uuid.UUID],
) -> None:
    """Link a recorded (not yet appended) event to further people, for "who has seen this
    record", with the links' digest in its detail, so that ``audit-verify`` finds a link
    deleted or added afterwards. The links are written with the event at commit, in one bulk
    insert (a quarterly return links tens of thousands: ORM objects took twice as long)."""
    ids = list(dict.fromkeys(client_ids))
    _own(session).info.setdefault(_LINKS, {})[event_] = ids
    event_.detail = {**event_.detail, LINKED: linked_digest(ids)}


def partitions() -> int:
    """How many chains new events are spread over: the application's ``AUDIT_CHAIN_PARTITIONS``
    (outside an application, :data:`DEFAULT_PARTITIONS`)."""
    if has_app_context():
        return max(1, int(current_app.config.get("AUDIT_CHAIN_PARTITIONS") or 1))
    return DEFAULT_PARTITIONS


def chain_of(client_id: uuid.UUID | None, organisation_id: int | None, count: int) -> int:
    """The chain an event joins: its person's shard, else its organisation's, else chain 0."""
    if client_id is not None:
        return client_id.int % count
    if organisation_id is not None:
        return organisation_id % count
    return 0


def lock_chain(session: DbSession, chain: int) -> None:
    """Take one chain's lock to the end of the transaction (PostgreSQL; SQLite's ``BEGIN
    IMMEDIATE`` already holds the database's write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key, :chain)"), {"key": _CHAIN_LOCK, "chain": chain}
        )


def chain_head(session: DbSession, chain: int) -> tuple[int, str] | None:
    """The last event of one chain (its id and hash), or None for an empty chain."""
    row = session.execute(
        select(AuditEvent.id, AuditEvent.hash)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    return (row.id, row.hash) if row is not None else None


def _own(session: DbSession) -> Session:
    """The session itself, also when given the application's scoped session."""
    return session() if isinstance(session, scoped_session) else session


def write_pending(session: DbSession) -> None:
    """Append the transaction's recorded events to their chains, in the order they were recorded.

    For each chain the events join (usually one: a request's events concern one person), in
    the chains' order so two transactions never wait for each other crosswise: takes the
    chain's lock (PostgreSQL: an advisory lock held to the end of the transaction; SQLite: the
    transaction already holds the write lock of ``BEGIN IMMEDIATE``) and reads the chain's last
    hash. Then inserts every event, chained, in one statement (SQLAlchemy's insertmanyvalues),
    so within a chain ids follow the chain. Called at every commit; call it directly to see the
    events before one.
    """
    session = _own(session)
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    count = partitions()
    by_chain: dict[int, list[AuditEvent]] = {}
    for new, _recorded_in in pending:
        new.chain = chain_of(new.client_id, new.organisation_id, count)
        by_chain.setdefault(new.chain, []).append(new)
    for chain in sorted(by_chain):
        lock_chain(session, chain)
        head = chain_head(session, chain)
        previous = head[1] if head is not None else GENESIS
        for new in by_chain[chain]:
            new.prev_hash = previous
            new.hash = previous = _digest(previous, new)
    session.add_all([new for new, _recorded_in in pending])
    session.flush()
    links = session.info.pop(_LINKS, {})
    rows = [
        {"audit_event_id": new.id, "client_id": client_id}
        for new, _recorded_in in pending
        for client_id in links.get(new, ())
    ]
    if rows:
        session.execute(insert(AuditEventClient), rows)
    session.info[APPENDED_UP_TO] = max(new.id for new, _recorded_in in pending)


def note_refusal(
    session: DbSession,
    actor: Actor,
    asked: str,
    *,
    record_type: str,
    record_id: object,
    client_id: uuid.UUID,
    reason: str,
    answered: int,
) -> None:
    """Note that the access policy refused ``actor`` what it ``asked`` of a person's record.

    The request that asked rolls back (its 404 or 403 leaves nothing behind), so the refusal is
    not recorded in it: it waits beside the session, through the rollback, and is recorded as an
    ``access.refused`` event at the session's next commit, which the edges (pages and API) make
    in a short transaction of its own after a rollback (:func:`has_refusals`). Never pass
    answers: ``asked`` is the action refused (``client.timeline``), ``reason`` the policy's
    (``declined``, ``administrator``, ``another organisation's draft``).
    """
    _own(session).info.setdefault(_REFUSED, []).append(
        (
            actor,
            {
                "record_type": record_type,
                "record_id": record_id,
                "client_id": client_id,
                "detail": {"asked": asked, "reason": reason, "answered": answered},
            },
        )
    )


def has_refusals(session: DbSession) -> bool:
    """Whether refused attempts wait for a commit (see :func:`note_refusal`)."""
    return bool(_own(session).info.get(_REFUSED))


def _record_refusals(session: DbSession) -> None:
    for actor, where in session.info.pop(_REFUSED, None) or []:
        record_event(session, actor, REFUSED, **where)


@event.listens_for(Session, "before_commit")
def _append_at_commit(session: DbSession) -> None:
    _record_refusals(session)
    write_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: DbSession, rolled_back: Any) -> None:
    """Events recorded in a transaction or savepoint that rolled back never happened."""
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [
            (new, recorded_in)
            for new, recorded_in in pending
            if not _inside(recorded_in, rolled_back)
        ]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: DbSession, ended: Any) -> None:
    """A whole transaction ended without its commit writing them (closed, or rolled back by
    the connection pool): its events are gone with it."""
    if ended.parent is None:
        _forget_rolled_back(session, ended)
        if not session.info.get(_PENDING):
            session.info.pop(_LINKS, None)


def _inside(transaction: Any, outer: Any) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: DbSession, batch: int = 5000) -> ChainReport:
    """Recompute every event's hash, chain by chain in order; report the first event that does
    not match."""
    checked = 0
    for chain in chains(session):
        prev = GENESIS
        for row in _in_order(session, batch, chain):
            if row.prev_hash != prev:
                return ChainReport(checked, row.id, "an event before it was changed or removed")
            if _digest(prev, row) != row.hash:
                return ChainReport(checked, row.id, "its content was changed")
            prev = row.hash
            checked += 1
    return ChainReport(checked, None)


def chains(session: DbSession) -> list[int]:
    """The chains that hold events, in order."""
    return list(session.scalars(select(AuditEvent.chain).distinct().order_by(AuditEvent.chain)))


def _in_order(session: DbSession, batch: int, chain: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.chain == chain, AuditEvent.id > last_id)
            .order_by(AuditEvent.id)
            .limit(batch)
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
    REFUSED: "Refused",
    "client.view": "Opened the record",
    "client.create": "Recorded the person",
    "client.update": "Changed the person's details",
    "client.search": "Searched",
    "reports.return": "Exported in the quarterly return",
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
    "assessment.print": "Printed an assessment",
    "decision.create": "Decision made",
    "decision.override": "Overrode a decision",
    "referral.create": "Referral made",
    "referral.view": "Opened a referral",
    "referral.accept": "Accepted a referral",
    "referral.decline": "Declined a referral",
    "referral.complete": "Completed a referral",
}


def client_events(
    session: DbSession, client_id: uuid.UUID, limit: int = 2000, *, before: int | None = None
) -> list[AuditEvent]:
    """Every access to and change of one person's record, newest first, with who and where:
    the events about it and the searches that showed it. ``before`` (an event id) pages."""
    linked = select(AuditEventClient.audit_event_id).where(AuditEventClient.client_id == client_id)
    query = select(AuditEvent).where(
        or_(AuditEvent.client_id == client_id, AuditEvent.id.in_(linked))
    )
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return list(
        session.scalars(
            query.options(joinedload(AuditEvent.user), joinedload(AuditEvent.organisation))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
