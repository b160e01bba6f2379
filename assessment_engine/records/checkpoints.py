"""Signed checkpoints of the audit chain, in the manner of Certificate Transparency's tree heads.

The hash chain alone proves only that the events present agree with each other: someone with
the database can delete the newest events, or delete one and recompute every later hash, and
the chain still verifies. A checkpoint records the chain's head (the last event's id and hash),
how many events it holds and when, signed (HMAC-SHA256) with a key that is never in the
database; it is written both to the ``audit_checkpoints`` table and to an append-only file
(``AUDIT_CHECKPOINT_FILE``), which an operator points at storage the database's users cannot
write. :func:`verify_audit` then compares the chain with every checkpoint it can trust.

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import BigInteger, Integer, String, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, DbSession, utcnow
from ..kernel.audit import APPENDED_UP_TO, GENESIS, _digest, _in_order
from ..kernel.models import AuditEvent


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
    #: The last event the chain held (0 for an empty chain), its hash and how many events.
    head_event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    head_hash: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
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
        return AuditCheckpoint(
            **{**self.__dict__, "created_at": datetime.fromisoformat(self.created_at)}
        )

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

    @property
    def automatic(self) -> bool:
        return self.every_events > 0 or self.every_minutes > 0


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


def _head(session: DbSession, after: AuditCheckpoint | None) -> tuple[int, str, int]:
    """The chain's head (last event id, its hash) and its length, counted from ``after``."""
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if last is None:
        return 0, GENESIS, 0
    since = after.head_event_id if after is not None else 0
    counted = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.id > since)
    )
    return last.id, last.hash, (after.event_count if after is not None else 0) + (counted or 0)


def latest_checkpoint(session: DbSession) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


def write_checkpoint(
    session: DbSession,
    policy: CheckpointPolicy,
    *,
    kind: CheckpointKind = CheckpointKind.PERIODIC,
    lost: tuple[int, int, int] | None = None,
) -> Checkpoint:
    """Sign the chain's current head into the table; it goes to the file when the transaction
    commits (a checkpoint of events that rolled back is never filed). Call it holding the
    chain's lock (at commit, after the events are appended) or with no events pending."""
    previous = latest_checkpoint(session)
    head_id, head_hash, count = _head(session, previous)
    if previous is not None and previous.head_event_id > head_id:
        # The chain is shorter than the last checkpoint says; count from the start.
        head_id, head_hash, count = _head(session, None)
    # Numbered after the file's last too: after a restore the table's numbers are behind.
    number = max(previous.id if previous is not None else 0, policy.file.last_number()) + 1
    unsigned = Checkpoint(
        id=number,
        kind=str(kind),
        created_at=utcnow().isoformat(),
        head_event_id=head_id,
        head_hash=head_hash,
        event_count=count,
        lost_after_event_id=lost[0] if lost else None,
        lost_through_event_id=lost[1] if lost else None,
        lost_count=lost[2] if lost else None,
    )
    signed = policy.keys.sign(unsigned)
    session.add(signed.to_row())
    session.flush()
    session.info.setdefault(_UNFILED, []).append((signed, policy.file))
    return signed


def checkpoint_if_due(session: DbSession, policy: CheckpointPolicy, appended_up_to: int) -> None:
    """After a commit's events are appended: write a checkpoint if enough events or time have
    passed since the last one. Cheap when none is due: one indexed read of the last row."""
    if not policy.automatic:
        return
    previous = latest_checkpoint(session)
    if previous is None:
        write_checkpoint(session, policy)
        return
    by_count = 0 < policy.every_events <= appended_up_to - previous.head_event_id
    by_time = policy.every_minutes > 0 and utcnow() - previous.created_at >= timedelta(
        minutes=policy.every_minutes
    )
    if by_count or by_time:
        write_checkpoint(session, policy)


@event.listens_for(Session, "before_commit")
def _checkpoint_at_commit(session: DbSession) -> None:
    """After the audit trail's own listener (registered first: this module imports it) has
    appended the commit's events, still holding the chain's lock."""
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
    """At commit: append the transaction's checkpoints to their file."""
    unfiled = session.info.pop(_UNFILED, None)
    if unfiled:
        by_file: dict[Path, tuple[CheckpointFile, list[Checkpoint]]] = {}
        for checkpoint, file in unfiled:
            by_file.setdefault(file.path, (file, []))[1].append(checkpoint)
        for file, checkpoints in by_file.values():
            file.append(checkpoints)


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

    # A gap checkpoint accounts for earlier checkpoints that name events it declares lost.
    live: list[Checkpoint] = []
    for checkpoint in trusted:
        if checkpoint.kind == CheckpointKind.GAP:
            live = [c for c in live if c.head_event_id <= checkpoint.head_event_id]
            notes.append(
                f"{checkpoint.describe()} records a restore: the events after event "
                f"{checkpoint.lost_after_event_id} through event "
                f"{checkpoint.lost_through_event_id} ({checkpoint.lost_count} event(s) "
                "signed by earlier checkpoints) were lost."
            )
        live.append(checkpoint)
    expected = sorted(live, key=lambda c: (c.head_event_id, c.id))

    def rolled_back(checkpoint: Checkpoint, chain: str) -> AuditReport:
        return AuditReport(
            Finding.ROLLED_BACK,
            f"The database is older than the checkpoint file: {chain}, but "
            f"{checkpoint.describe()} is in the file and not in the database. The database "
            "was restored from an older copy, or copied from a live database file, without "
            "`flask restore` recording the gap (or its newest events and checkpoints were "
            "deleted).",
            count,
            trusted_up_to,
            notes,
        )

    prev = GENESIS
    count = 0
    last_id = 0
    trusted_up_to: Checkpoint | None = None
    position = 0
    for row in _in_order(session, 5000):
        while position < len(expected) and expected[position].head_event_id < row.id:
            missing = expected[position]
            if missing.head_event_id > last_id:
                if missing.id in lost_rows:
                    return rolled_back(missing, f"event {missing.head_event_id} is missing")
                return AuditReport(
                    Finding.CHANGED,
                    f"Event {missing.head_event_id}, the head of {missing.describe()}, is "
                    f"missing: events were deleted between event {last_id} and event {row.id}.",
                    count,
                    trusted_up_to,
                    notes,
                )
            position += 1
        if row.prev_hash != prev:
            if _digest(row.prev_hash, row) == row.hash:
                reason = "the event before it was deleted (a gap in the middle of the chain)"
            else:
                reason = "it was changed"
            return AuditReport(
                Finding.CHANGED,
                f"Audit trail broken at event {row.id}: {reason} ({count} event(s) before it "
                "are intact).",
                count,
                trusted_up_to,
                notes,
            )
        if _digest(prev, row) != row.hash:
            return AuditReport(
                Finding.CHANGED,
                f"Audit trail broken at event {row.id}: its content was changed ({count} "
                "event(s) before it are intact).",
                count,
                trusted_up_to,
                notes,
            )
        prev = row.hash
        count += 1
        last_id = row.id
        while position < len(expected) and expected[position].head_event_id == row.id:
            checkpoint = expected[position]
            if checkpoint.head_hash != row.hash or checkpoint.event_count != count:
                if checkpoint.id in lost_rows:
                    return rolled_back(checkpoint, f"its event {row.id} is not the one signed")
                return AuditReport(
                    Finding.RECOMPUTED,
                    f"The chain was rewritten: event {row.id} has hash {row.hash[:12]}... and "
                    f"is event number {count}, but {checkpoint.describe()} signed hash "
                    f"{checkpoint.head_hash[:12]}... and {checkpoint.event_count} event(s). "
                    "Events before it were deleted or changed and the later hashes recomputed.",
                    count,
                    trusted_up_to,
                    notes,
                )
            trusted_up_to = checkpoint
            position += 1
    if position < len(expected):
        first_missing = expected[position]
        chain = f"its chain ends at event {last_id} ({count} event(s))"
        newest_lost = [c for c in expected[position:] if c.id in lost_rows]
        if newest_lost:
            return rolled_back(newest_lost[-1], chain)
        return AuditReport(
            Finding.TRUNCATED,
            f"Events were deleted at the tail: {chain}, but {first_missing.describe()} "
            "signed more.",
            count,
            trusted_up_to,
            notes,
        )
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
    return AuditReport(
        Finding.INTACT,
        f"Audit trail intact: {count} event(s) checked.",
        count,
        trusted_up_to,
        notes,
    )


def record_restore(session: DbSession, policy: CheckpointPolicy) -> Checkpoint:
    """After a restore: a signed gap checkpoint naming the events the checkpoint file signed
    that the restored database lacks (none if the copy is as new as the file).

    Only checkpoints whose signature is good count; the lost range runs from the restored
    head to the newest one's head (events after it were never signed, so are not counted).
    """
    in_file, _unreadable = policy.file.read()
    signed = [c for c in in_file if policy.keys.check(c)]
    previous = latest_checkpoint(session)
    head_id, _head_hash, count = _head(session, None)
    newest = max(signed, key=lambda c: c.id, default=None)
    lost = (head_id, head_id, 0)
    if newest is not None and (
        newest.head_event_id > head_id or (previous is None or newest.id > previous.id)
    ):
        lost = (head_id, newest.head_event_id, max(0, newest.event_count - count))
    return write_checkpoint(session, policy, kind=CheckpointKind.GAP, lost=lost)
