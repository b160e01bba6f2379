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
from datetime import datetime
from functools import cache
from typing import Any, Protocol, cast

from flask import current_app, has_app_context
from sqlalchemy import (
    Connection,
    Dialect,
    Table,
    TextClause,
    bindparam,
    event,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, joinedload, scoped_session

from ..db import READ_LAST, DbSession, UTCDateTime, pipelined, utcnow
from .actor import Actor
from .models import AuditEvent, AuditEventClient
from .new_rows import register_inserted

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


class _Hashed(Protocol):
    """What an event's hash covers: a stored or recorded event, or the values of one about to be
    inserted (:class:`_Values`)."""

    occurred_at: datetime
    actor: str
    user_id: int | None
    organisation_id: int | None
    action: str
    record_type: str
    record_id: str
    client_id: uuid.UUID | None
    address: str
    detail: dict[str, Any]


#: ``json.dumps`` with these options builds this encoder anew at every call; one is enough (the
#: same options, so the same bytes).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def _digest(prev_hash: str, event_: _Hashed) -> str:
    payload = _ENCODER.encode(
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
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class _Values(dict[str, Any]):
    """One event's row as inserted, its columns also read as attributes, so that the hash is
    computed from exactly the values the insert writes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


#: The columns an appended event's insert writes (all but its id), as its ORM attributes.
_WRITTEN = (
    "occurred_at",
    "user_id",
    "organisation_id",
    "actor",
    "action",
    "record_type",
    "record_id",
    "client_id",
    "address",
    "detail",
    "chain",
    "prev_hash",
    "hash",
)


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


#: The statements of an append, built once (each is built and looked up in SQLAlchemy's cache
#: at every use otherwise).
_EVENTS = cast(Table, AuditEvent.__table__)
_LOCK = text("SELECT pg_advisory_xact_lock(:key, :chain)")
_HEAD = (
    select(_EVENTS.c.id, _EVENTS.c.hash)
    .where(_EVENTS.c.chain == bindparam("chain"))
    .order_by(_EVENTS.c.id.desc())
    .limit(1)
    .execution_options(**READ_LAST)  # sent with the lock before it (write_pending)
)
#: The events, in one statement (insertmanyvalues), their ids returned in the rows' order.
_INSERT = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)
_INSERT_LINKS = insert(cast(Table, AuditEventClient.__table__))
_AS_UTC = UTCDateTime()


@cache
def _insert_from_json(dialect: Dialect) -> TextClause:
    """PostgreSQL: the events in one statement whose one parameter is their rows as a JSON
    array, inserted in the array's order. The same rows as :data:`_INSERT`, for about half its
    cost: psycopg parses afresh every statement of more than 50 parameters (insertmanyvalues
    sends 13 an event), and dumps each of them."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in _WRITTEN)
    types = ", ".join(
        f"{quote(name)} {_EVENTS.c[name].type.dialect_impl(dialect).compile(dialect=dialect)}"
        for name in _WRITTEN
    )
    table = dialect.identifier_preparer.format_table(_EVENTS)
    return text(  # the model's own names (quoted by the dialect) and types, no input
        f"INSERT INTO {table} ({columns}) SELECT {columns}"  # noqa: S608
        f" FROM ROWS FROM (jsonb_to_recordset(CAST(:rows AS JSONB)) AS ({types}))"
        f" WITH ORDINALITY AS appended({columns}, n) ORDER BY n RETURNING id"
    )


def _insert(connection: Connection, rows: list[_Values]) -> list[int]:
    """Insert the events' rows in their order; their ids, in the same order."""
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return list(connection.execute(_INSERT, rows).scalars())
    # What the insert's own parameters would have made of each value: the column's UTC time
    # (ISO 8601 keeps every microsecond), the UUID's text, json.dumps of the detail (as psycopg
    # does for a JSONB parameter, so what it refuses is still refused).
    as_json = json.dumps(
        [
            {
                **row,
                # (never None: the hash has read it)
                "occurred_at": cast(
                    datetime, _AS_UTC.process_bind_param(row["occurred_at"], dialect)
                ).isoformat(),
                "client_id": None if row["client_id"] is None else str(row["client_id"]),
            }
            for row in rows
        ]
    )
    # The rows are inserted, and take their ids, in the order given (as insertmanyvalues
    # relies on too): ascending ids are the rows' order.
    return sorted(connection.execute(_insert_from_json(dialect), {"rows": as_json}).scalars())


def lock_chain(connection: Connection, chain: int) -> None:
    """Take one chain's lock to the end of the transaction (PostgreSQL; SQLite's ``BEGIN
    IMMEDIATE`` already holds the database's write lock)."""
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": _CHAIN_LOCK, "chain": chain})


def chain_head(connection: Connection, chain: int) -> tuple[int, str] | None:
    """The last event of one chain (its id and hash), or None for an empty chain."""
    row = connection.execute(_HEAD, {"chain": chain}).first()
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
    hash. Then inserts every event, chained, in one statement (SQLAlchemy's insertmanyvalues;
    on PostgreSQL, the rows as one JSON parameter), ids in the order the events were recorded,
    so within a chain ids follow the chain. The insert is Core's, not the unit of work's: each
    row is hashed from the very values it inserts, so no event can change between its hash and
    its row; the objects ``record_event`` returned are then in the session as if flushed (their
    ids set; the ORM refuses to change them). Called at every commit; call it directly to see
    the events before one.
    """
    session = _own(session)
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # what the transaction made first: the events may name it
    connection = session.connection()
    count = partitions()
    events = [new for new, _recorded_in in pending]
    by_chain: dict[int, list[AuditEvent]] = {}
    for new in events:
        new.chain = chain_of(new.client_id, new.organisation_id, count)
        by_chain.setdefault(new.chain, []).append(new)
    values: dict[AuditEvent, _Values] = {}
    for chain in sorted(by_chain):
        # The lock and the head read after it in one round trip (on PostgreSQL): the read is
        # sent behind the lock and runs once it is granted, under a snapshot taken then.
        with pipelined(connection):
            lock_chain(connection, chain)
            head = chain_head(connection, chain)
        previous = head[1] if head is not None else GENESIS
        for new in by_chain[chain]:
            new.prev_hash = previous
            row = values[new] = _Values({name: getattr(new, name) for name in _WRITTEN})
            # Hashed from the row itself, just before the insert writes it: nothing can change
            # an event between its hash and its insert (the ORM guard below is for other inserts).
            row["hash"] = new.hash = previous = _digest(previous, row)
    # One statement, as Core: the unit of work added nothing but its bookkeeping (and checked
    # every hash a second time). Ids are assigned in the order the events were recorded.
    ids = _insert(connection, [values[new] for new in events])
    session.add_all(events)
    for new, id_ in zip(events, ids, strict=True):
        new.id = id_
    # Persistent as if flushed, for whoever holds them, and noted as new in this transaction:
    # if it rolls back (a checkpoint or the COMMIT failing after this), they are expunged, as
    # flushed objects are, instead of staying for rows that never were.
    register_inserted(session, events)
    links = session.info.pop(_LINKS, {})
    rows = [
        {"audit_event_id": new.id, "client_id": client_id}
        for new in events
        for client_id in links.get(new, ())
    ]
    if rows:
        connection.execute(_INSERT_LINKS, rows)
    session.info[APPENDED_UP_TO] = max(new.id for new in events)


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
    # The trail's own appends are not ORM inserts (write_pending inserts the rows it hashed);
    # an event added to a session by other means is refused here unless its hash is right, as
    # a stored one's change is by the update guard below.
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
