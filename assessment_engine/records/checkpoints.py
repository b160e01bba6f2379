"""Signed checkpoints of the audit chain, in the manner of Certificate Transparency's tree heads.

The hash chain alone proves only that the events present agree with each other: someone with
the database can delete the newest events, or delete one and recompute every later hash, and
the chain still verifies. A checkpoint records each chain's head (the last event's id and hash)
and how many events it holds, the Merkle root of those heads (RFC 6962's tree hash, so one
chain's head can be shown to be in a checkpoint without the others) and when, signed
(HMAC-SHA256) with a key that is never in the database; it is written both to the
``audit_checkpoints`` table and to an append-only file (``AUDIT_CHECKPOINT_FILE``), which an
operator points at storage the database's users cannot write. :func:`verify_audit` then
compares every chain with every checkpoint it can trust.
Checkpoints signed before the trail was partitioned name one head, chain 0's.

A checkpoint is written when a commit appends events and either ``AUDIT_CHECKPOINT_EVERY``
events or ``AUDIT_CHECKPOINT_MINUTES`` minutes have passed since the last one, and by
``flask audit-checkpoint`` (run it from a timer so a quiet chain is covered too). A restore
writes a "gap" checkpoint naming the events the restored copy lacks, so the loss is on record
and the chain verifies again from there.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, cast

from flask import current_app, has_app_context
from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    event,
    func,
    insert,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, DbSession, JSONType, utcnow
from ..kernel.audit import (
    APPENDED_UP_TO,
    GENESIS,
    LINKED,
    _digest,
    _in_order,
    chains,
    linked_digest,
    partitions,
)
from ..kernel.models import AuditEvent, AuditEventClient


class CheckpointKind(enum.StrEnum):
    PERIODIC = "periodic"
    GAP = "gap"


class AuditCheckpoint(Base):
    """One signed statement of the audit chain's head. Rows are never updated or deleted."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The newest event of any chain (0 for an empty trail), the Merkle root of the chains'
    #: heads (before the trail was partitioned: the one chain's head hash) and how many events.
    head_event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    head_hash: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    #: Each chain's head: ``[chain, last event id, its hash, events]``, by chain (None before
    #: the trail was partitioned).
    heads: Mapped[list[list[Any]] | None] = mapped_column(JSONType)
    #: A gap checkpoint: the events known to have existed after the head and lost by a restore.
    lost_after_event_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite")
    )
    lost_through_event_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite")
    )
    lost_count: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    #: Which key signed it (the first 16 hex digits of the key's SHA-256), and the signature.
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as signed: the same fields whether read from the table or the file."""

    id: int
    kind: str
    created_at: str
    head_event_id: int
    head_hash: str
    event_count: int
    lost_after_event_id: int | None = None
    lost_through_event_id: int | None = None
    lost_count: int | None = None
    key_id: str = ""
    signature: str = ""
    #: ``(chain, last event id, its hash, events)`` for each chain, by chain; None in a
    #: checkpoint signed before the trail was partitioned (it names chain 0's head alone).
    heads: tuple[Head, ...] | None = None

    def __post_init__(self) -> None:
        # Read back from JSON (the file, the table) as lists: kept as tuples, so the same
        # checkpoint compares equal wherever it was read from.
        if self.heads is not None:
            heads = tuple(
                (int(chain), int(head_id), str(head_hash), int(count))
                for chain, head_id, head_hash, count in self.heads
            )
            object.__setattr__(self, "heads", heads)

    def head_of(self, chain: int) -> Head:
        """What it signed of one chain (``(chain, 0, GENESIS, 0)`` for a chain it saw empty)."""
        if self.heads is None:
            if chain == 0:
                return (0, self.head_event_id, self.head_hash, self.event_count)
            return (chain, 0, GENESIS, 0)
        for head in self.heads:
            if head[0] == chain:
                return head
        return (chain, 0, GENESIS, 0)

    def chains(self) -> set[int]:
        return {0} if self.heads is None else {head[0] for head in self.heads}

    def payload(self) -> bytes:
        fields = {
            "id": self.id,
            "kind": self.kind,
            "created_at": self.created_at,
            "head_event_id": self.head_event_id,
            "head_hash": self.head_hash,
            "event_count": self.event_count,
            "lost_after_event_id": self.lost_after_event_id,
            "lost_through_event_id": self.lost_through_event_id,
            "lost_count": self.lost_count,
        }
        if self.heads is not None:
            fields["heads"] = [list(head) for head in self.heads]
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def as_json(self) -> str:
        return json.dumps(
            {**json.loads(self.payload()), "key_id": self.key_id, "signature": self.signature},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> Checkpoint:
        values = {name: getattr(row, name) for name in cls.__dataclass_fields__}
        return cls(**{**values, "created_at": row.created_at.isoformat()})

    def to_row(self) -> AuditCheckpoint:
        return AuditCheckpoint(**self.row_values())

    def row_values(self) -> dict[str, Any]:
        """Its row's columns."""
        return {
            **self.__dict__,
            "created_at": datetime.fromisoformat(self.created_at),
            "heads": None if self.heads is None else [list(head) for head in self.heads],
        }

    def describe(self) -> str:
        return (
            f"checkpoint #{self.id} ({self.kind}, {self.created_at}: "
            f"{self.event_count} event(s) up to event {self.head_event_id})"
        )


class CheckpointKeys:
    """The signing key and any retired keys still accepted when verifying (after a rotation)."""

    def __init__(self, current: str, retired: Iterable[str] = ()) -> None:
        if len(current) < 32:
            raise ValueError("The audit checkpoint key must be at least 32 characters.")
        self.current = current.encode()
        self._by_id = {key_id(k.encode()): k.encode() for k in (current, *retired) if k}

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def sign(self, checkpoint: Checkpoint) -> Checkpoint:
        signature = hmac.new(self.current, checkpoint.payload(), hashlib.sha256).hexdigest()
        return _replace(checkpoint, key_id=self.current_id, signature=signature)

    def check(self, checkpoint: Checkpoint) -> bool:
        key = self._by_id.get(checkpoint.key_id)
        if key is None:
            return False
        expected = hmac.new(key, checkpoint.payload(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, checkpoint.signature)


#: One chain's head as a checkpoint signs it: chain, last event id, its hash, how many events.
Head = tuple[int, int, str, int]


def merkle_root(heads: Iterable[Head]) -> str:
    """The Merkle tree hash (RFC 6962, section 2.1) of the chains' heads, in chain order: a leaf
    is SHA-256 of 0x00 and the head as compact JSON, a node SHA-256 of 0x01 and its children."""
    leaves = [
        hashlib.sha256(b"\x00" + json.dumps(list(h), separators=(",", ":")).encode()).digest()
        for h in sorted(heads)
    ]
    if not leaves:
        return hashlib.sha256(b"").hexdigest()

    def tree(nodes: list[bytes]) -> bytes:
        if len(nodes) == 1:
            return nodes[0]
        split = 1 << ((len(nodes) - 1).bit_length() - 1)  # the largest power of 2 below n
        return hashlib.sha256(b"\x01" + tree(nodes[:split]) + tree(nodes[split:])).digest()

    return tree(leaves).hex()


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def _replace(checkpoint: Checkpoint, **changes: Any) -> Checkpoint:
    return Checkpoint(**{**checkpoint.__dict__, **changes})


class CheckpointFile:
    """The append-only file of checkpoints: one JSON object a line, opened for appending only,
    flushed to disk before the writer goes on; created readable by its owner alone."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, checkpoints: Iterable[Checkpoint]) -> None:
        lines = "".join(c.as_json() + "\n" for c in checkpoints)
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, lines.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def last_number(self) -> int:
        """The number of the file's last checkpoint (0 if none), read from its end."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - 8192))
                lines = handle.read().splitlines()
        except FileNotFoundError:
            return 0
        for line in reversed(lines):
            try:
                return int(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                continue
        return 0

    def read(self) -> tuple[list[Checkpoint], list[int]]:
        """The checkpoints in the file, and the numbers of lines that are not checkpoints."""
        if not self.path.exists():
            return [], []
        found: list[Checkpoint] = []
        unreadable: list[int] = []
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    found.append(Checkpoint(**json.loads(line)))
                except (ValueError, TypeError):
                    unreadable.append(number)
        return found, unreadable


@dataclass(frozen=True)
class CheckpointPolicy:
    """How often checkpoints are written, with what key, to which file (built once per app)."""

    keys: CheckpointKeys
    file: CheckpointFile
    every_events: int = 100
    every_minutes: float = 5.0
    #: This process's note of when the next checkpoint is due (:class:`_NotDue`), so that a
    #: commit need not read the last checkpoint to learn that none is.
    not_due: _NotDueNote = field(default_factory=lambda: _NotDueNote(), compare=False, repr=False)

    @property
    def automatic(self) -> bool:
        return self.every_events > 0 or self.every_minutes > 0


#: How long this process trusts what it last read of the checkpoints (seconds). Another
#: process's checkpoint only makes the next one due later than noted (the note errs early and
#: is read again); a checkpoint table that went back (a restore) is seen at the latest after
#: this long, so a note can delay a checkpoint by this much, never skip one.
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class _NotDue:
    """Read from the last committed checkpoint: none is due before event ``until_event`` is
    appended or ``until_time`` comes (whichever first), while the note is fresh."""

    after_event: int
    until_event: float
    until_time: datetime | None
    read_at: float

    def holds(self, appended_up_to: int) -> bool:
        return (
            self.after_event <= appended_up_to < self.until_event
            and (self.until_time is None or utcnow() < self.until_time)
            and time.monotonic() - self.read_at < RECHECK_SECONDS
        )


class _NotDueNote:
    """One mutable slot per policy (the policy itself is frozen and shared by the app)."""

    def __init__(self) -> None:
        self.value: _NotDue | None = None


def checkpoint_policy(config: Any) -> CheckpointPolicy:
    """The application's policy, from its configuration (see config.py)."""
    return CheckpointPolicy(
        keys=CheckpointKeys(
            str(config["AUDIT_CHECKPOINT_KEY"]), config.get("AUDIT_CHECKPOINT_RETIRED_KEYS") or ()
        ),
        file=CheckpointFile(Path(config["AUDIT_CHECKPOINT_FILE"])),
        every_events=int(config.get("AUDIT_CHECKPOINT_EVERY") or 0),
        every_minutes=float(config.get("AUDIT_CHECKPOINT_MINUTES") or 0),
    )


#: ``session.info`` key of the checkpoints written in the transaction, for the file at commit.
_UNFILED = "audit_checkpoints_unfiled"


#: The events' table, for the statements below (Core columns: the ORM's would be coerced anew).
_EVENTS = cast(Table, AuditEvent.__table__)


@lru_cache(maxsize=64)
def _heads_statement(wanted: tuple[int, ...]) -> CompoundSelect[int, int, str]:
    """The last event (id, hash) of each chain in ``wanted``, one ``LIMIT 1`` read of the
    (chain, id) index each, in one statement; built once per set of chains."""
    last = [
        select(_EVENTS.c.chain, _EVENTS.c.id, _EVENTS.c.hash)
        .where(_EVENTS.c.chain == chain)
        .order_by(_EVENTS.c.id.desc())
        .limit(1)
        .subquery()
        for chain in wanted
    ]
    return union_all(*(select(*sub.c) for sub in last))


@lru_cache(maxsize=64)
def _count_statement(chains: tuple[int, ...]) -> Select[int, int]:
    """How many events each chain in ``chains`` holds with an id above ``after_<chain>`` and
    at most ``upto_<chain>``; built once per set of chains."""
    in_chains = or_(
        *(
            and_(
                _EVENTS.c.chain == chain,
                _EVENTS.c.id > bindparam(f"after_{chain}"),
                _EVENTS.c.id <= bindparam(f"upto_{chain}"),
            )
            for chain in chains
        )
    )
    return select(_EVENTS.c.chain, func.count()).where(in_chains).group_by(_EVENTS.c.chain)


def _heads(session: DbSession, after: Checkpoint | None) -> list[Head]:
    """Every chain's head (last event id, its hash) and length, each counted from what ``after``
    signed of it; a chain shorter than ``after`` says is counted from its start. Two statements
    whatever the number of chains, as this runs inside a commit holding its chain's lock."""
    wanted = set(range(partitions())) | (after.chains() if after is not None else set())
    found = {
        row.chain: (row.id, row.hash)
        for row in session.execute(_heads_statement(tuple(sorted(wanted))))
    }
    since: dict[int, Head] = {}
    for chain, (head_id, _hash) in found.items():
        signed = after.head_of(chain) if after is not None else (chain, 0, GENESIS, 0)
        since[chain] = signed if signed[1] <= head_id else (chain, 0, GENESIS, 0)
    counted: dict[int, int] = {}
    if since:
        # Up to the head read: a commit to a chain landing between the two statements (READ
        # COMMITTED) must not be counted under a head that does not include it.
        bounds: dict[str, int] = {}
        for chain, signed in since.items():
            bounds[f"after_{chain}"] = signed[1]
            bounds[f"upto_{chain}"] = found[chain][0]
        query = _count_statement(tuple(sorted(since)))
        counted = {chain: int(n) for chain, n in session.execute(query, bounds)}
    return [
        (chain, head_id, head_hash, since[chain][3] + int(counted.get(chain, 0)))
        for chain, (head_id, head_hash) in sorted(found.items())
    ]


#: Any constant: the PostgreSQL advisory lock held while a checkpoint is numbered and written.
_CHECKPOINT_LOCK = 727_274_002


def lock_checkpoints(session: DbSession, *, wait: bool = True) -> bool:
    """Take the checkpoints' lock to the end of the transaction, so two commits in different
    chains never number a checkpoint alike. ``wait=False``: give up at once if it is held (its
    holder is writing a checkpoint that covers as much). SQLite: the write lock is held."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHECKPOINT_LOCK})
        return True
    return bool(
        session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _CHECKPOINT_LOCK})
    )


def latest_checkpoint(session: DbSession) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


#: The statements of a commit's checkpoint, built once, as Core (an ORM entity's read or flush
#: of one row costs several times the statement): the last checkpoint's number, head and time,
#: read at each commit whose note is stale; all of it, read under the lock; the insert.
_CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
_LAST_DUE = (
    select(_CHECKPOINTS.c.id, _CHECKPOINTS.c.head_event_id, _CHECKPOINTS.c.created_at)
    .order_by(_CHECKPOINTS.c.id.desc())
    .limit(1)
)
_LAST = select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.id.desc()).limit(1)
_INSERT_CHECKPOINT = insert(_CHECKPOINTS)


class _Signed(Protocol):
    """What a checkpoint read or committed tells of when the next is due."""

    @property
    def head_event_id(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...


def _last(session: DbSession) -> AuditCheckpoint | None:
    """The last checkpoint's row, read as Core: its columns, as the entity's attributes."""
    return cast(AuditCheckpoint | None, session.execute(_LAST).first())


def _signed(row: AuditCheckpoint | None) -> Checkpoint | None:
    return Checkpoint.from_row(row) if row is not None else None


def write_checkpoint(
    session: DbSession,
    policy: CheckpointPolicy,
    *,
    kind: CheckpointKind = CheckpointKind.PERIODIC,
    lost: tuple[int, int, int] | None = None,
) -> Checkpoint:
    """Sign every chain's current head into the table; it goes to the file when the transaction
    commits (a checkpoint of events that rolled back is never filed). Call it holding the
    checkpoints' lock (:func:`lock_checkpoints`), after the commit's events are appended. The
    other chains' heads are their last committed events: each chain's events commit in order
    under its own lock, so a head read is a true prefix of that chain."""
    return _write_checkpoint(session, policy, _signed(_last(session)), kind=kind, lost=lost)


def _write_checkpoint(
    session: DbSession,
    policy: CheckpointPolicy,
    previous: Checkpoint | None,
    *,
    kind: CheckpointKind = CheckpointKind.PERIODIC,
    lost: tuple[int, int, int] | None = None,
) -> Checkpoint:
    """:func:`write_checkpoint` after ``previous``, the last checkpoint, read under the lock."""
    heads = _heads(session, previous)
    # Numbered after the file's last too: after a restore the table's numbers are behind.
    number = max(previous.id if previous is not None else 0, policy.file.last_number()) + 1
    unsigned = Checkpoint(
        id=number,
        kind=str(kind),
        created_at=utcnow().isoformat(),
        head_event_id=max((head[1] for head in heads), default=0),
        head_hash=merkle_root(heads),
        event_count=sum(head[3] for head in heads),
        heads=tuple(heads),
        lost_after_event_id=lost[0] if lost else None,
        lost_through_event_id=lost[1] if lost else None,
        lost_count=lost[2] if lost else None,
    )
    signed = policy.keys.sign(unsigned)
    session.execute(_INSERT_CHECKPOINT, signed.row_values())
    session.info.setdefault(_UNFILED, []).append((signed, policy.file, policy))
    return signed


def checkpoint_if_due(session: DbSession, policy: CheckpointPolicy, appended_up_to: int) -> None:
    """After a commit's events are appended: write a checkpoint if enough events or time have
    passed since the last one. Cheap when none is due: one indexed read of the last row."""
    if not policy.automatic:
        return
    noted = policy.not_due.value
    if noted is not None and noted.holds(appended_up_to):
        return  # this process read lately that none is due yet
    last = session.execute(_LAST_DUE).first()
    still = _still_to_append(session, last, policy, appended_up_to)
    if not _due(last, policy, still):
        assert last is not None
        policy.not_due.value = _not_due(last, policy, appended_up_to + still)
        return
    # Written now or by another commit: read again next time (unless this commit writes one:
    # once it has committed, it is the note).
    policy.not_due.value = None
    if not lock_checkpoints(session, wait=False):
        return
    # Under the lock, asked again: another commit may have just written one.
    previous = _last(session)
    if _due(previous, policy, _still_to_append(session, previous, policy, appended_up_to)):
        _write_checkpoint(session, policy, _signed(previous))


def _not_due(
    previous: _Signed, policy: CheckpointPolicy, until_event: float | None = None
) -> _NotDue:
    """What ``previous`` (committed: read just now, or just committed by this process) says
    of when the next checkpoint is due; ``until_event``: the id before which none is due by
    count, if counted (else ``AUDIT_CHECKPOINT_EVERY`` ids after its head, the earliest)."""
    return _NotDue(
        after_event=previous.head_event_id,
        until_event=(
            until_event
            if until_event is not None
            else previous.head_event_id + policy.every_events
            if policy.every_events > 0
            else float("inf")
        ),
        until_time=(
            previous.created_at + timedelta(minutes=policy.every_minutes)
            if policy.every_minutes > 0
            else None
        ),
        read_at=time.monotonic(),
    )


@dataclass(frozen=True)
class _Committed:
    """Of a checkpoint this process has just committed, what the note needs."""

    head_event_id: int
    created_at: datetime


#: How many events (at most ``most``) have ids after ``after`` and up to ``upto``: the primary
#: key's range, read no further than a checkpoint's count needs.
_EVENTS_SINCE = select(func.count()).select_from(
    select(_EVENTS.c.id)
    .where(_EVENTS.c.id > bindparam("after"), _EVENTS.c.id <= bindparam("upto"))
    .limit(bindparam("most"))
    .subquery()
)


def _still_to_append(
    session: DbSession, previous: _Signed | None, policy: CheckpointPolicy, appended_up_to: int
) -> float:
    """How many more events make a checkpoint due by count after ``previous`` (0: due now;
    infinity: checkpoints are not written by count). Events are counted, not ids: a rolled-back
    transaction (the start-up warm-up's, a refused submission's) takes ids from the sequence and
    never gives them back, so the ids since ``previous`` can be many more than its events. They
    are counted only once the ids say enough may be there (an id is never shared: there are at
    most as many events as ids), reading no more than ``AUDIT_CHECKPOINT_EVERY`` index entries;
    a process then counts again once the events still missing could have been appended, or
    when its note is stale (:data:`RECHECK_SECONDS`)."""
    every = policy.every_events
    if every <= 0:
        return float("inf")
    if previous is None:
        return 0
    ids = appended_up_to - previous.head_event_id
    if ids < every:
        return every - ids
    return every - events_since(session, previous.head_event_id, appended_up_to, most=every)


def events_since(session: DbSession, after: int, upto: int, *, most: int) -> int:
    """How many events have ids after ``after`` and up to ``upto``, counting to ``most``."""
    counted = session.scalar(_EVENTS_SINCE, {"after": after, "upto": upto, "most": most})
    return int(counted or 0)


def _due(previous: _Signed | None, policy: CheckpointPolicy, still_to_append: float) -> bool:
    if previous is None:
        return True
    by_count = still_to_append <= 0
    by_time = policy.every_minutes > 0 and utcnow() - previous.created_at >= timedelta(
        minutes=policy.every_minutes
    )
    return by_count or by_time


@event.listens_for(Session, "before_commit")
def _checkpoint_at_commit(session: DbSession) -> None:
    """After the audit trail's own listener (registered first: this module imports it) has
    appended the commit's events, still holding their chains' locks."""
    appended = session.info.pop(APPENDED_UP_TO, None)
    if appended is not None:
        after_append(session, appended)


def after_append(session: DbSession, appended_up_to: int) -> None:
    """Once a commit's events are appended: checkpoint if one is due under the application's
    policy. Outside an application (a bare session in a script) no checkpoint is written."""
    if has_app_context():
        policy = current_app.extensions.get("audit_checkpoints")
        if policy is not None:
            checkpoint_if_due(session, policy, appended_up_to)


@event.listens_for(Session, "after_commit")
def file_committed(session: DbSession) -> None:
    """At commit: append the transaction's checkpoints to their file. The last one, now
    committed, is its policy's note of when the next is due (as a read of it would be)."""
    unfiled = session.info.pop(_UNFILED, None)
    if unfiled:
        by_file: dict[Path, tuple[CheckpointFile, list[Checkpoint]]] = {}
        for checkpoint, file, _policy in unfiled:
            by_file.setdefault(file.path, (file, []))[1].append(checkpoint)
        for file, checkpoints in by_file.values():
            file.append(checkpoints)
        last, _file, policy = unfiled[-1]
        if policy.automatic:
            committed = _Committed(last.head_event_id, datetime.fromisoformat(last.created_at))
            policy.not_due.value = _not_due(committed, policy)


@event.listens_for(Session, "after_soft_rollback")
def _forget_unfiled(session: DbSession, _rolled_back: Any) -> None:
    """A checkpoint whose transaction (or savepoint) rolled back is never filed."""
    session.info.pop(_UNFILED, None)
    session.info.pop(APPENDED_UP_TO, None)


# -- verifying --------------------------------------------------------------------------------


class Finding(enum.IntEnum):
    """What ``audit-verify`` found, and its exit status."""

    INTACT = 0
    CHANGED = 1  # an event's content changed, or events deleted in the middle of the chain
    RECOMPUTED = 3  # the chain agrees with itself but not with a signed checkpoint
    TRUNCATED = 4  # events a checkpoint in the database counted are missing at the tail
    ROLLED_BACK = 5  # the database is older than the newest checkpoint in the file
    CHECKPOINTS = 6  # a checkpoint is forged, unreadable or missing from the file


@dataclass
class AuditReport:
    finding: Finding
    message: str
    checked: int
    trusted: Checkpoint | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.finding is Finding.INTACT


def verify_audit(session: DbSession, policy: CheckpointPolicy) -> AuditReport:
    """Check the chain, then the chain against every checkpoint whose signature is good.

    The file is the reference: a checkpoint in the table that the file lacks (or that differs)
    is reported, as is one whose signature fails. Checkpoints older than a gap checkpoint that
    name events the gap declares lost are accounted for by it.
    """
    in_file, unreadable = policy.file.read()
    in_table = [Checkpoint.from_row(r) for r in session.scalars(select(AuditCheckpoint))]
    notes: list[str] = []
    if unreadable:
        return AuditReport(
            Finding.CHECKPOINTS,
            f"The checkpoint file {policy.file.path} has unreadable line(s) "
            f"{', '.join(map(str, unreadable[:10]))}: it was edited or damaged.",
            0,
        )
    for checkpoint in [*in_file, *in_table]:
        if not policy.keys.check(checkpoint):
            return AuditReport(
                Finding.CHECKPOINTS,
                f"The signature of {checkpoint.describe()} does not match: it was forged or "
                "altered, or signed with a key this configuration does not hold.",
                0,
            )
    filed = {c.id: c for c in in_file}
    for checkpoint in in_table:
        other = filed.get(checkpoint.id)
        if other is not None and other != checkpoint:
            return AuditReport(
                Finding.CHECKPOINTS,
                f"{checkpoint.describe()} in the database differs from the file's "
                f"{other.describe()}.",
                0,
            )
        if other is None and in_file:
            notes.append(f"{checkpoint.describe()} is in the database but not in the file.")
    trusted = sorted({**{c.id: c for c in in_table}, **filed}.values(), key=lambda c: c.id)
    # Checkpoints the file holds and the database lost: the database is an older copy (or its
    # newest checkpoints were deleted with the events they name).
    lost_rows = {c.id for c in in_file} - {c.id for c in in_table}
    for checkpoint in trusted:
        if checkpoint.heads is not None and merkle_root(checkpoint.heads) != checkpoint.head_hash:
            return AuditReport(
                Finding.CHECKPOINTS,
                f"{checkpoint.describe()} signs a Merkle root its chains' heads do not give: "
                "it was written wrongly or forged with the key.",
                0,
            )
        if checkpoint.kind == CheckpointKind.GAP:
            notes.append(
                f"{checkpoint.describe()} records a restore: the events after event "
                f"{checkpoint.lost_after_event_id} through event "
                f"{checkpoint.lost_through_event_id} ({checkpoint.lost_count} event(s) "
                "signed by earlier checkpoints) were lost."
            )
    every_chain = sorted(set(chains(session)).union(*(c.chains() for c in trusted)))
    walks = {
        chain: _walk(session, chain, trusted, lost_rows, len(every_chain) > 1)
        for chain in every_chain
    }
    count = sum(walk.count for walk in walks.values())
    # The newest checkpoint every chain it signed agrees with.
    trusted_up_to: Checkpoint | None = None
    for checkpoint in trusted:
        signed = [c for c in checkpoint.chains() if checkpoint.head_of(c)[3] > 0]
        if all(checkpoint.id in walks[c].matched for c in signed if c in walks):
            trusted_up_to = checkpoint
    failure = next((w.failure for w in walks.values() if w.failure is not None), None)
    if failure is not None:
        failure.checked, failure.trusted, failure.notes = count, trusted_up_to, notes
        return failure
    if in_table and not in_file:
        return AuditReport(
            Finding.CHECKPOINTS,
            f"The checkpoint file {policy.file.path} is missing or empty but the database "
            f"holds {len(in_table)} checkpoint(s): the chain agrees with the database's "
            "checkpoints, but they alone cannot show a rolled-back database. Point "
            "AUDIT_CHECKPOINT_FILE at the file.",
            count,
            trusted_up_to,
            notes,
        )
    chained = f" in {len(every_chain)} chains" if len(every_chain) > 1 else ""
    return AuditReport(
        Finding.INTACT,
        f"Audit trail intact: {count} event(s) checked{chained}.",
        count,
        trusted_up_to,
        notes,
    )


@dataclass
class _Walk:
    """One chain checked against what the checkpoints signed of it."""

    count: int = 0
    #: The checkpoints whose head of this chain was found as signed.
    matched: set[int] = field(default_factory=set)
    failure: AuditReport | None = None


def _walk(
    session: DbSession, chain: int, trusted: list[Checkpoint], lost_rows: set[int], named: bool
) -> _Walk:
    """Recompute one chain's hashes in order, checking each checkpoint's head of it on the way.
    ``named``: the trail has several chains, so messages say which."""
    where = f" of chain {chain}" if named else ""
    walk = _Walk()
    # What each checkpoint signed of this chain; a gap checkpoint accounts for earlier ones that
    # name events it declares lost.
    live: list[Checkpoint] = []
    for checkpoint in trusted:
        _chain, head_id, head_hash, events = checkpoint.head_of(chain)
        mine = _replace(
            checkpoint, head_event_id=head_id, head_hash=head_hash, event_count=events, heads=None
        )
        if mine.kind == CheckpointKind.GAP:
            live = [c for c in live if c.head_event_id <= mine.head_event_id]
        live.append(mine)
    expected = sorted((c for c in live if c.event_count > 0), key=lambda c: (c.head_event_id, c.id))

    def rolled_back(checkpoint: Checkpoint, state: str) -> AuditReport:
        return AuditReport(
            Finding.ROLLED_BACK,
            f"The database is older than the checkpoint file: {state}, but "
            f"{checkpoint.describe()}{where} is in the file and not in the database. The "
            "database was restored from an older copy, or copied from a live database file, "
            "without `flask restore` recording the gap (or its newest events and checkpoints "
            "were deleted).",
            0,
        )

    prev = GENESIS
    count = 0
    last_id = 0
    position = 0
    # Events linked to further people (a search, an export): their links, checked in batches.
    links: dict[int, str] = {}

    def relinked() -> AuditReport | None:
        broken = _relinked(session, links)
        links.clear()
        if broken is None:
            return None
        return AuditReport(
            Finding.CHANGED,
            f"Audit trail{where} broken at event {broken}: the people it is linked to (who "
            "has seen their record) were changed after it was recorded.",
            0,
        )

    for row in _in_order(session, 5000, chain):
        while position < len(expected) and expected[position].head_event_id < row.id:
            missing = expected[position]
            if missing.head_event_id > last_id:
                if missing.id in lost_rows:
                    walk.failure = rolled_back(missing, f"event {missing.head_event_id} is missing")
                else:
                    walk.failure = AuditReport(
                        Finding.CHANGED,
                        f"Event {missing.head_event_id}, the head of {missing.describe()}"
                        f"{where}, is missing: events were deleted between event {last_id} and "
                        f"event {row.id}.",
                        0,
                    )
                walk.count = count
                return walk
            position += 1
        if row.prev_hash != prev or _digest(prev, row) != row.hash:
            if row.prev_hash == prev:
                reason = "its content was changed"
            elif _digest(row.prev_hash, row) == row.hash:
                reason = "the event before it was deleted (a gap in the middle of the chain)"
            else:
                reason = "it was changed"
            walk.failure = AuditReport(
                Finding.CHANGED,
                f"Audit trail{where} broken at event {row.id}: {reason} ({count} event(s) "
                "before it are intact).",
                0,
            )
            walk.count = count
            return walk
        prev = row.hash
        count += 1
        last_id = row.id
        if isinstance(row.detail, dict) and LINKED in row.detail:
            links[row.id] = str(row.detail[LINKED])
            if len(links) >= 1000 and (found := relinked()) is not None:
                walk.failure, walk.count = found, count
                return walk
        while position < len(expected) and expected[position].head_event_id == row.id:
            checkpoint = expected[position]
            if checkpoint.head_hash != row.hash or checkpoint.event_count != count:
                if checkpoint.id in lost_rows:
                    walk.failure = rolled_back(
                        checkpoint, f"its event {row.id} is not the one signed"
                    )
                else:
                    walk.failure = AuditReport(
                        Finding.RECOMPUTED,
                        f"The chain{where} was rewritten: event {row.id} has hash "
                        f"{row.hash[:12]}... and is event number {count}, but "
                        f"{checkpoint.describe()} signed hash {checkpoint.head_hash[:12]}... and "
                        f"{checkpoint.event_count} event(s). Events before it were deleted or "
                        "changed and the later hashes recomputed.",
                        0,
                    )
                walk.count = count
                return walk
            walk.matched.add(checkpoint.id)
            position += 1
    walk.count = count
    if links and (found := relinked()) is not None:
        walk.failure = found
        return walk
    if position < len(expected):
        first_missing = expected[position]
        state = f"chain {chain}" if named else "its chain"
        state += f" ends at event {last_id} ({count} event(s))"
        newest_lost = [c for c in expected[position:] if c.id in lost_rows]
        if newest_lost:
            walk.failure = rolled_back(newest_lost[-1], state)
        else:
            walk.failure = AuditReport(
                Finding.TRUNCATED,
                f"Events were deleted at the tail: {state}, but "
                f"{first_missing.describe()}{where} signed more.",
                0,
            )
    return walk


def _relinked(session: DbSession, signed: dict[int, str]) -> int | None:
    """The first of the events ``signed`` names (event id -> the digest of its people its
    detail signs) whose links to people are no longer those (deleted, added or changed)."""
    linked: dict[int, list[str]] = {key: [] for key in signed}
    for event_id, client_id in session.execute(
        select(AuditEventClient.audit_event_id, AuditEventClient.client_id).where(
            AuditEventClient.audit_event_id.in_(list(signed))
        )
    ):
        linked[event_id].append(str(client_id))
    return next((key for key in sorted(signed) if linked_digest(linked[key]) != signed[key]), None)


def record_restore(session: DbSession, policy: CheckpointPolicy) -> Checkpoint:
    """After a restore: a signed gap checkpoint naming the events the checkpoint file signed
    that the restored database lacks (none if the copy is as new as the file).

    Only checkpoints whose signature is good count; the lost range runs from the restored
    head to the newest one's head (events after it were never signed, so are not counted).
    """
    in_file, _unreadable = policy.file.read()
    signed = [c for c in in_file if policy.keys.check(c)]
    previous = latest_checkpoint(session)
    heads = _heads(session, None)
    head_id = max((head[1] for head in heads), default=0)
    count = sum(head[3] for head in heads)
    newest = max(signed, key=lambda c: c.id, default=None)
    lost = (head_id, head_id, 0)
    if newest is not None and (
        newest.head_event_id > head_id or (previous is None or newest.id > previous.id)
    ):
        lost = (head_id, newest.head_event_id, max(0, newest.event_count - count))
    return write_checkpoint(session, policy, kind=CheckpointKind.GAP, lost=lost)
