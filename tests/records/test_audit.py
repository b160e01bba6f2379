"""The audit trail is append-only and hash-chained."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assessment_engine.auth.actor import Actor
from assessment_engine.records.audit import AuditTamperError, record_event, verify_chain
from assessment_engine.records.models import AuditEvent


def _events(db_session, factories, n=3) -> list[AuditEvent]:
    org = factories.organisation()
    actor = Actor(organisation_id=org.id, label="test", address="127.0.0.1")
    events = [
        record_event(db_session, actor, "client.view", record_type="client", record_id=i)
        for i in range(n)
    ]
    db_session.flush()  # events are inserted at the transaction's next flush
    return events


def test_events_chain_and_verify(db_session, factories) -> None:
    events = _events(db_session, factories)
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    report = verify_chain(db_session)
    assert report.ok and report.checked >= 3


def test_an_event_changed_before_it_is_inserted_is_refused(db_session, factories) -> None:
    org = factories.organisation()
    actor = Actor(organisation_id=org.id, label="test", address="127.0.0.1")
    event = record_event(db_session, actor, "client.view", record_type="client", record_id=1)
    event.detail = {"covered": "up"}
    with pytest.raises(AuditTamperError, match="changed after it was recorded"):
        db_session.flush()
    db_session.rollback()


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
