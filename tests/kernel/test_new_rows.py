"""kernel.new_rows: a submission's new rows written as Core inserts are the rows, and the
objects, the unit of work's flush would leave."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select

from assessment_engine.assessments import services
from assessment_engine.assessments.models import Assessment, Decision, Referral
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.new_rows import flush_new
from assessment_engine.notifications.models import OutboxMessage

from ..factories import Factories, example_answers


def _columns(obj: Any) -> dict[str, Any]:
    return {prop.key: getattr(obj, prop.key) for prop in inspect(obj).mapper.column_attrs}


def _submitted(app: Flask, factories: Factories, session: Any) -> tuple[Assessment, list[Any]]:
    organisation = factories.organisation()
    actor = Actor.command_line(organisation.id)
    client = factories.client()
    version = factories.version()
    prepared = services.prepare_version(session, app.extensions["assessment_versions"], version)
    assessment = services.start_assessment(session, actor, client, version)
    services.save_answers(
        session,
        actor,
        assessment,
        prepared,
        example_answers("depression-with-self-harm-thoughts"),
        expected_version=None,
    )
    made = services.submitted(session, actor, assessment, prepared, expected_version=None)
    return assessment, [made.decision, *made.referrals]


def _flush_new_only(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """flush_new, asserting that it wrote the rows itself, not by the unit of work."""
    flushes: list[object] = []
    monkeypatch.setattr(session, "flush", lambda: flushes.append(1))
    flush_new(session)
    monkeypatch.undo()
    assert not flushes


def test_the_new_rows_are_written_once_as_the_flush_would_and_the_objects_persistent(
    app: Flask, factories: Factories, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assessment, made = _submitted(app, factories, db_session)
    _flush_new_only(db_session, monkeypatch)
    assert not db_session.new and not db_session.dirty
    urgent = [r for r in made if isinstance(r, Referral) and r.urgency.value != "routine"]
    messages = db_session.scalars(select(OutboxMessage)).all()
    assert urgent and len(messages) == len(urgent)  # the outbox's hook queued each once
    objects = [assessment, *made]
    held = [_columns(obj) for obj in objects]
    for obj in objects:
        assert inspect(obj).persistent and not inspect(obj).expired_attributes
    db_session.expire_all()
    for obj, before in zip(objects, held, strict=True):
        assert _columns(obj) == before  # read back from the database: the same values
    assert db_session.scalar(select(Decision.id).where(Decision.assessment_id == assessment.id))


def test_anything_changed_besides_is_left_to_the_flush(
    app: Flask, factories: Factories, db_session: Any
) -> None:
    client = factories.client()
    _assessment, made = _submitted(app, factories, db_session)
    client.given_name = "Morag"  # a change pending: the unit of work writes all of it
    flush_new(db_session)
    assert not db_session.new and not db_session.dirty
    db_session.expire_all()
    assert client.given_name == "Morag"
    assert len(db_session.scalars(select(OutboxMessage)).all()) == sum(
        1 for r in made if isinstance(r, Referral) and r.urgency.value != "routine"
    )


def test_a_rollback_forgets_them_as_it_forgets_flushed_rows(
    app: Flask, factories: Factories, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.client()  # the reference data loaded before the savepoint
    nested = db_session.begin_nested()
    assessment, made = _submitted(app, factories, db_session)
    _flush_new_only(db_session, monkeypatch)
    assert inspect(assessment).persistent and inspect(assessment).key is not None
    nested.rollback()
    for obj in (assessment, *made):
        assert obj not in db_session and inspect(obj).transient
    assert db_session.get(Assessment, assessment.id) is None


def test_a_failed_insert_leaves_nothing_as_a_failed_flush(
    app: Flask, factories: Factories, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.engine import Connection

    assessment, _made = _submitted(app, factories, db_session)
    calls: list[object] = []
    execute = Connection.execute

    def failing_second(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if str(statement).startswith("INSERT"):
            calls.append(statement)
            if len(calls) == 2:  # after the first table's rows went in
                raise RuntimeError("the database went away")
        return execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", failing_second)
    with pytest.raises(RuntimeError):
        flush_new(db_session)
    monkeypatch.undo()
    assert len(calls) == 2
    assert inspect(assessment).transient and not db_session.new  # expunged with the rollback
    assert db_session.scalar(select(Assessment).where(Assessment.id == assessment.id)) is None


def test_a_row_the_database_refuses_is_an_integrity_error_and_leaves_nothing(
    app: Flask, factories: Factories, db_session: Any
) -> None:
    """On PostgreSQL the rows are sent together (pipeline mode) and the database's refusal
    arrives after the last of them: it is still SQLAlchemy's IntegrityError, and nothing of
    the flush is kept, as when each insert ran alone (SQLite)."""
    from sqlalchemy.exc import IntegrityError

    assessment, made = _submitted(app, factories, db_session)
    referrals = [r for r in made if isinstance(r, Referral)]
    assert len(referrals) >= 2
    referrals[1].id = referrals[0].id  # the second row's key is the first's
    with pytest.raises(IntegrityError):
        flush_new(db_session)
    assert inspect(assessment).transient and not db_session.new
    assert db_session.scalar(select(Assessment).where(Assessment.id == assessment.id)) is None
    decided = select(Decision).where(Decision.assessment_id == assessment.id)
    assert db_session.scalar(decided) is None
