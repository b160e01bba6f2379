"""The scheduled runner's jobs and the daily digest, inside the suite's rolled-back transaction."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment_engine.assessments import referrals
from assessment_engine.assessments.models import Referral
from assessment_engine.extensions import db
from assessment_engine.kernel.actor import Actor
from assessment_engine.notifications.digest import UK, contributors, queue_digests
from assessment_engine.notifications.mail import FileMailer
from assessment_engine.notifications.models import OutboxKind, OutboxMessage, ScheduledRun
from assessment_engine.notifications.outbox import deliver_due, delivery_policy
from assessment_engine.notifications.scheduler import Job, job_lock, run_job
from assessment_engine.scoring.outcomes import Priority, Urgency

from ..factories import Factories, example_answers


def test_jobs_run_when_due_under_their_lock_and_failures_are_recorded(
    app: Flask, db_session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def tidy(_app: Flask) -> str:
        calls.append("tidy")
        return "tidied 3 things"

    def broken(_app: Flask) -> str:
        raise RuntimeError("the disk is full")

    tidy_job = Job("test-tidy", tidy, timedelta(hours=1))
    with app.app_context(), caplog.at_level(logging.INFO, "assessment_engine.scheduled"):
        failed = run_job(app, Job("test-broken", broken, timedelta(hours=1)))
        assert (failed.status, failed.ok) == ("ran", False)
        assert failed.outcome == "failed: RuntimeError: the disk is full"
        row = db.session.get(ScheduledRun, "test-broken")
        assert row is not None and not row.ok and row.finished_at is not None

        assert str(run_job(app, tidy_job)).startswith("test-tidy: ok in ")
        assert run_job(app, tidy_job).status == "not due"  # within its hour, whoever ran it
        with job_lock(db.engine, "test-tidy") as taken:  # as another runner would hold it
            assert taken
            assert run_job(app, tidy_job, force=True).status == "locked"
        assert run_job(app, tidy_job, force=True).status == "ran"
    assert calls == ["tidy", "tidy"]
    logged = [record.getMessage() for record in caplog.records]
    assert any("test-broken: FAILED" in line and "disk is full" in line for line in logged)
    assert any("test-tidy: ok" in line and "tidied 3 things" in line for line in logged)
    assert "test-tidy: skipped, another runner holds its lock" in logged


def test_the_daily_digest_counts_what_waits_and_a_raised_referral_is_told_at_once(
    app: Flask, db_session: Session, factories: Factories, tmp_path: Path
) -> None:
    assessor = factories.user(role="assessor", org="perth-kinross-council")
    assessment = factories.submitted(
        app, example_answers("depression-with-self-harm-thoughts"), assessor
    )
    made = db_session.scalars(select(Referral).where(Referral.assessment_id == assessment.id))
    waiting = {r.service_id: r for r in made}
    crisis = next(r for r in waiting.values() if r.service.slug == "crisis-mental-health")
    with app.app_context():
        early = datetime(2026, 12, 2, 6, 59, tzinfo=UK)
        assert queue_digests(db.session(), contributors(app), early, 7) == 0
        morning = datetime(2026, 12, 2, 7, 5, tzinfo=UK)
        queued = queue_digests(db.session(), contributors(app), morning, 7)
        db.session.commit()
        with_address = [r for r in waiting.values() if r.service.team_email]
        assert queued == len(with_address) >= 1
        # Once a day, however often (or by however many runners) it is asked.
        assert queue_digests(db.session(), contributors(app), morning + timedelta(hours=3), 7) == 0
        digest = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.kind == OutboxKind.DIGEST,
                OutboxMessage.service_id == crisis.service_id,
            )
        )
        assert digest is not None and digest.dedupe_key == f"digest:{crisis.service_id}:2026-12-02"
        assert digest.detail["lines"] == [
            {
                "key": "referrals.same_day",
                "count": 1,
                "text": "A same-day referral is waiting for your team",
            }
        ]

        # Delivered like any message; the development backend writes one file per message.
        report = deliver_due(db.session(), FileMailer(tmp_path), delivery_policy(app.config))
        assert report.sent >= queued and report.failed == 0
        written = message_from_bytes((tmp_path / f"{digest.id}.eml").read_bytes())
        assert written["Subject"] == "What is waiting for your team today"
        assert written["To"] == crisis.service.team_email
        body = written.get_payload()
        assert "A same-day referral is waiting for your team." in body
        assert crisis.service.name not in body and "crisis" not in body.lower()

        # A routine referral raised to urgent is told at once, in the raise's transaction.
        routine = next(r for r in waiting.values() if r.urgency is Urgency.ROUTINE)
        before = set(db.session.scalars(select(OutboxMessage.id)))
        referrals.raise_priority(
            db_session,
            Actor.for_user(assessor),
            routine,
            priority=Priority.CRITICAL,
            urgency=Urgency.URGENT,
            reason="Seen again today",
        )
        db_session.flush()
        added = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.not_in(before))
        ).all()
        assert [(m.kind, m.service_id, m.detail) for m in added] == [
            (OutboxKind.REFERRAL, routine.service_id, {"urgency": "urgent"})
        ]


def test_run_scheduled_lists_and_runs_its_jobs(app: Flask, db_session: Session) -> None:
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["run-scheduled", "--list"])
    assert listed.exit_code == 0
    names = [line.split(":")[0] for line in listed.output.splitlines()]
    assert names == [
        "daily-digests",
        "deliver-outbox",
        "audit-checkpoint",
        "purge-idempotency-keys",
    ]
    ran = runner.invoke(args=["run-scheduled", "--once", "--job", "purge-idempotency-keys"])
    assert ran.exit_code == 0, ran.output
    assert "purge-idempotency-keys: ok in" in ran.output
    assert "deleted 0 idempotency keys older than 24 hours" in ran.output
    unknown = runner.invoke(args=["run-scheduled", "--once", "--job", "nothing"])
    assert unknown.exit_code == 2 and "no such job: nothing" in unknown.output
