"""The audit trail is append-only and hash-chained."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import (
    GENESIS,
    AuditTamperError,
    _digest,
    chain_of,
    partitions,
    record_event,
    verify_chain,
    write_pending,
)
from assessment_engine.records.models import AuditEvent


def _events(db_session, factories, n=3) -> list[AuditEvent]:
    org = factories.organisation()
    actor = Actor(organisation_id=org.id, label="test", address="127.0.0.1")
    events = [
        record_event(db_session, actor, "client.view", record_type="client", record_id=i)
        for i in range(n)
    ]
    write_pending(db_session)  # what the commit does
    return events


def test_events_chain_and_verify(db_session, factories) -> None:
    events = _events(db_session, factories)
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    report = verify_chain(db_session)
    assert report.ok and report.checked >= 3


def test_an_event_whose_hash_does_not_match_is_refused(db_session, factories) -> None:
    org = factories.organisation()
    actor = Actor(organisation_id=org.id, label="test", address="127.0.0.1")
    event = record_event(db_session, actor, "client.view", record_type="client", record_id=1)
    write_pending(db_session)
    forged = AuditEvent(
        **{c: getattr(event, c) for c in ("occurred_at", "actor", "action", "record_type")},
        record_id="1",
        address="127.0.0.1",
        detail={"covered": "up"},
        prev_hash=event.hash,
        hash=event.hash,
    )
    db_session.add(forged)
    with pytest.raises(AuditTamperError, match="changed after it was recorded"):
        db_session.flush()
    db_session.rollback()


def test_events_wait_for_the_commit_and_go_with_a_rollback(db_session, factories) -> None:
    org = factories.organisation()
    actor = Actor(organisation_id=org.id, label="test", address="127.0.0.1")
    db_session.commit()
    before = db_session.scalar(select(func.count()).select_from(AuditEvent))
    record_event(db_session, actor, "client.view", record_type="client", record_id="kept")
    db_session.flush()
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == before
    try:
        with db_session.begin_nested():
            record_event(db_session, actor, "client.view", record_type="client", record_id="no")
            raise RuntimeError("the savepoint's work fails")
    except RuntimeError:
        pass
    with db_session.begin_nested():  # a savepoint that is kept writes what is pending
        record_event(db_session, actor, "client.view", record_type="client", record_id="saved")
    db_session.commit()
    written = db_session.scalars(
        select(AuditEvent.record_id).where(AuditEvent.id > 0).order_by(AuditEvent.id)
    ).all()
    assert written[-2:] == ["kept", "saved"] and "no" not in written
    assert verify_chain(db_session).ok
    record_event(db_session, actor, "client.view", record_type="client", record_id="gone")
    db_session.rollback()
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == before + 2


def test_the_orm_refuses_to_change_or_delete_an_event(db_session, factories) -> None:
    event = _events(db_session, factories, 1)[0]
    event.action = "nothing.to.see"
    with pytest.raises(AuditTamperError):
        db_session.flush()
    db_session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'x' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(db_session, factories, statement):
    event = _events(db_session, factories, 1)[0]
    nested = db_session.begin_nested()
    with pytest.raises(DBAPIError):
        db_session.execute(text(statement), {"id": event.id})
    nested.rollback()


def test_tampering_that_bypasses_the_guards_is_detected(db_session, factories) -> None:
    events = _events(db_session, factories)
    bind = db_session.connection()
    if bind.dialect.name == "postgresql":
        bind.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        bind.execute(
            text("UPDATE audit_events SET address = '6.6.6.6' WHERE id = :id"), {"id": events[1].id}
        )
    else:
        bind.execute(text("DROP TRIGGER audit_events_no_update"))
        bind.execute(
            text("UPDATE audit_events SET address = '6.6.6.6' WHERE id = :id"), {"id": events[1].id}
        )
    db_session.expire_all()
    report = verify_chain(db_session)
    assert not report.ok and report.first_broken_id == events[1].id
    # the outer transaction is rolled back after the test, trigger included


def test_an_events_hash_is_computed_as_it_always_was() -> None:
    # The hash of every stored event depends on these exact bytes: keys sorted, no spaces,
    # ASCII escapes, what JSON cannot say as str. Computed by the original json.dumps call.
    event = SimpleNamespace(
        occurred_at=datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC),
        actor="user:3",
        user_id=3,
        organisation_id=None,
        action="client.view",
        record_type="client",
        record_id="42",
        client_id=uuid.UUID("6f1c2e0a-9b7d-4c3e-8a51-2d4f6b8c0e13"),
        address="10.0.0.1",
        detail={
            "zeta": [1, 2.5, None, True],
            "alpha": {"b": "Màiri Ó Súilleabháin", "a": "\u2603"},
            "when": datetime(2026, 1, 1, tzinfo=UTC),
        },
    )
    assert _digest(GENESIS, event) == (
        "7f763d4d4272a97954fb5fa8449e3d87a9a2f2142e8079ad85948da670379541"
    )


def test_appended_events_are_stored_as_recorded_in_their_order(db_session, factories) -> None:
    org = factories.organisation()
    actor = Actor(organisation_id=org.id, label="test", address="127.0.0.1")
    count = partitions()
    first = uuid.uuid4()
    other = next(  # a person of another chain, when there are several
        p
        for p in iter(uuid.uuid4, None)
        if count == 1 or chain_of(p, None, count) != chain_of(first, None, count)
    )
    detail = {"b": ["Màiri", None, 1.5], "a": {"nested": '\u2603 "quoted" \\ back'}}
    events = [
        record_event(
            db_session,
            actor,
            "client.view",
            record_type="client",
            record_id=i,
            client_id=[first, other, None][i % 3],
            detail={**detail, "i": i},
        )
        for i in range(7)
    ]
    write_pending(db_session)
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    stored = {
        row.id: row
        for row in db_session.execute(select(AuditEvent.__table__).where(AuditEvent.id.in_(ids)))
    }
    columns = [c.name for c in AuditEvent.__table__.c]
    for event in events:
        row = stored[event.id]
        assert {c: getattr(row, c) for c in columns} == {c: getattr(event, c) for c in columns}
    by_chain: dict[int, list[AuditEvent]] = {}
    for event in events:
        by_chain.setdefault(event.chain, []).append(event)
    for chained in by_chain.values():
        for before, after in itertools.pairwise(chained):
            assert after.prev_hash == before.hash == _digest(before.prev_hash, before)
    assert verify_chain(db_session).ok


def test_appended_events_go_with_a_rollback_after_the_append(db_session, factories) -> None:
    # A commit can fail after its events are appended (its checkpoint, or the COMMIT itself):
    # the events then go with the rollback, as flushed objects do, and leave nothing behind
    # that a later append of the same session would collide with.
    org = factories.organisation()
    actor = Actor(organisation_id=org.id, label="test", address="127.0.0.1")
    nested = db_session.begin_nested()
    lost = record_event(db_session, actor, "client.view", record_type="client", record_id=1)
    write_pending(db_session)
    assert inspect(lost).persistent
    nested.rollback()
    assert inspect(lost).transient and lost not in db_session
    kept = record_event(db_session, actor, "client.view", record_type="client", record_id=2)
    write_pending(db_session)
    assert inspect(kept).persistent
    assert db_session.scalar(select(func.count()).where(AuditEvent.id == kept.id)) == 1
    assert verify_chain(db_session).ok
