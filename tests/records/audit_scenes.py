"""Audit trails to tamper with: a scratch app with committed events and checkpoints, and the
SQL an insider with the tables' owner role would run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import event, select, text

from assessment_engine.extensions import db
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import _digest, record_event
from assessment_engine.partners.models import OrganisationKind
from assessment_engine.partners.services import ensure_organisation
from assessment_engine.records.checkpoints import verify_audit
from assessment_engine.records.models import AuditEvent


def audited_app(scratch_app: Callable[..., Flask]) -> Flask:
    """A scratch app with 250 events committed ten at a time: checkpoints at events 10, 110
    and 210 (the first commit, then every 100 events)."""
    app = scratch_app(seed=False, AUDIT_CHECKPOINT_EVERY=100, AUDIT_CHECKPOINT_MINUTES=0)
    with app.app_context():
        org, _ = ensure_organisation(
            db.session, slug="audit", name="Audit", kind=OrganisationKind.HEALTH
        )
        db.session.commit()
        app.config["TEST_ORG"] = org.id
    write_events(app, 250)
    return app


def write_events(app: Flask, n: int, per_commit: int = 10) -> None:
    with app.app_context():
        actor = Actor(organisation_id=app.config["TEST_ORG"], label="test", address="127.0.0.1")
        for start in range(0, n, per_commit):
            for i in range(start, start + per_commit):
                record_event(db.session, actor, "client.view", record_type="client", record_id=i)
            db.session.commit()


def checkpoint_reads(app: Flask) -> list[str]:
    """The statements that read the checkpoints' table, from now on."""
    with app.app_context():
        engine = db.engine
    reads: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM audit_checkpoints" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    return reads


def verify(app: Flask) -> Any:
    with app.app_context():
        report = verify_audit(db.session(), app.extensions["audit_checkpoints"])
        db.session.rollback()
        return report


def tamper(app: Flask, *statements: str, recompute: bool = False) -> None:
    """Run SQL with the audit guards off, as the tables' owner can."""
    with app.app_context():
        conn = db.session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for name in (
                "audit_events_no_update",
                "audit_events_no_delete",
                "audit_checkpoints_no_delete",
                "audit_checkpoints_no_update",
            ):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        for statement in statements:
            conn.execute(text(statement))
        if recompute:
            prev: dict[int, str] = {}  # each chain's last hash
            rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
            for row in rows:
                new_hash = _digest(prev.get(row.chain, "0" * 64), row)
                if (row.prev_hash, row.hash) != (prev.get(row.chain, "0" * 64), new_hash):
                    conn.execute(
                        text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :id"),
                        {"p": prev.get(row.chain, "0" * 64), "h": new_hash, "id": row.id},
                    )
                prev[row.chain] = new_hash
            db.session.expunge_all()
        db.session.commit()
