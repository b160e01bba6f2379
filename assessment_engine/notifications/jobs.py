"""The built-in scheduled jobs: queue the daily digests, deliver the outbox, sign an audit
checkpoint, purge stored idempotency responses. Other domains add theirs with
``scheduler.register_job`` (folding report figures, when reports exist)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from ..api.idempotency import purge
from ..db import utcnow
from ..extensions import db
from ..kernel.models import AuditEvent
from ..records.checkpoints import (
    CheckpointPolicy,
    latest_checkpoint,
    lock_checkpoints,
    write_checkpoint,
)
from .digest import contributors, queue_digests
from .mail import Mailer
from .outbox import deliver_due, delivery_policy
from .scheduler import Job, JobFailed, register_job

#: app.extensions key of the mailer (replaced by tests with one pointed at their SMTP server).
MAILER = "notifications_mailer"


def daily_digests(app: Flask) -> str:
    queued = queue_digests(
        db.session(), contributors(app), utcnow(), int(app.config["DIGEST_HOUR"])
    )
    db.session.commit()
    return f"{queued} digests queued"


def deliver_outbox(app: Flask) -> str:
    """Fails (not ok, logged at ERROR) when a notification failed for good."""
    mailer: Mailer = app.extensions[MAILER]
    report = deliver_due(db.session(), mailer, delivery_policy(app.config))
    if report.failed:
        raise JobFailed(f"{report} (failed for good: see the audit trail)")
    return str(report)


def audit_checkpoint(app: Flask) -> str:
    """Sign the chain's head if events were appended since the last checkpoint (a quiet chain
    is covered by the checkpoint of its last commit)."""
    policy: CheckpointPolicy = app.extensions["audit_checkpoints"]
    session = db.session()
    lock_checkpoints(session)
    head = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    last = latest_checkpoint(session)
    if head is None or (last is not None and last.head_event_id == head):
        session.rollback()
        return "the chain's head is already signed"
    checkpoint = write_checkpoint(session, policy)
    session.commit()
    return f"wrote {checkpoint.describe()}"


def purge_idempotency_keys(app: Flask) -> str:
    hours = float(app.config["IDEMPOTENCY_RETENTION_HOURS"])
    deleted = purge(db.session(), timedelta(hours=hours))
    db.session.commit()
    return f"deleted {deleted} idempotency keys older than {hours:g} hours"


def register_builtin_jobs(app: Flask) -> None:
    every = {str(k): float(v) for k, v in (app.config.get("SCHEDULED_JOB_SECONDS") or {}).items()}

    def job(name: str, run: Callable[[Flask], str], seconds: float, description: str) -> Job:
        return Job(name, run, timedelta(seconds=every.get(name, seconds)), description)

    # Digests first, so the same run delivers them.
    register_job(app, job("daily-digests", daily_digests, 600, "queue each team's daily digest"))
    register_job(app, job("deliver-outbox", deliver_outbox, 0, "send due notifications"))
    register_job(app, job("audit-checkpoint", audit_checkpoint, 300, "sign the audit chain's head"))
    register_job(
        app,
        job("purge-idempotency-keys", purge_idempotency_keys, 3600, "purge stored API responses"),
    )
