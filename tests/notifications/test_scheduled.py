"""The scheduled runner's jobs and the daily digest, inside the suite's rolled-back transaction."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

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


def _referral_to(
    app: Flask, db_session: Session, factories: Factories, by: Any, example: str, slug: str
) -> Referral:
    """The referral to the service ``slug`` of an assessment of ``example`` submitted by ``by``."""
    assessment = factories.submitted(app, example_answers(example), by)
    return db_session.scalars(
        select(Referral)
        .where(Referral.assessment_id == assessment.id)
        .where(Referral.service.has(slug=slug))
    ).one()


def test_the_digest_counts_reviews_overdue_and_due_and_six_week_breaches(
    app: Flask, db_session: Session, factories: Factories
) -> None:
    from assessment_engine.assessments.models import ReferralStatus
    from assessment_engine.partners.models import Service
    from assessment_engine.support import services as support

    assessor = factories.user(role="assessor", org="perth-kinross-council")
    manager = factories.user(role="team_manager", org="perth-kinross-council")
    actor = Actor.for_user(manager)
    home_care: list[Referral] = []
    for _ in range(2):
        referral = _referral_to(
            app, db_session, factories, assessor, "frail-older-person-living-alone", "home-care"
        )
        home_care.append(
            referrals.accept(db_session, actor, referral, expected_version=referral.version)
        )
    supported, unsupported = home_care
    assessed = supported.assessment.submitted_at.date()
    plan = support.record_support(
        db_session, actor, supported, start_date=assessed, summary="Home care"
    )
    review = support.next_review(plan)
    assert review is not None
    service = db_session.scalar(select(Service).where(Service.slug == "home-care"))
    assert service is not None and service.team_email
    assert unsupported.status is ReferralStatus.ACCEPTED

    def lines(day: datetime) -> dict[str, tuple[int, str]]:
        found = [line for fn in contributors(app) for line in fn(db_session, service, day)]
        return {line.key: (line.count, line.text) for line in found if line.count}

    def noon(on: date) -> datetime:
        return datetime(on.year, on.month, on.day, 12, tzinfo=UK)

    # Two days before the review and the unsupported referral's clock still running.
    early = lines(noon(review.due_on - timedelta(days=2)))
    assert early["reviews.due"] == (1, "A review is due in the next 7 days")
    assert "reviews.overdue" not in early
    # The day after: overdue; and by then six weeks have passed without support for the other.
    late_day = max(review.due_on, assessed + timedelta(days=43)) + timedelta(days=1)
    late = lines(noon(late_day))
    assert late["reviews.overdue"] == (1, "A review is overdue")
    assert "reviews.due" not in late
    assert late["support.six_week_breaches"] == (
        1,
        "A referral has passed the 6-week standard without support starting",
    )
    # Counts only: queued with the referral lines, nothing about anyone.
    assert queue_digests(db_session, contributors(app), noon(late_day), 7) >= 1
    digest = db_session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.kind == OutboxKind.DIGEST, OutboxMessage.service_id == service.id
        )
    )
    assert digest is not None
    keys = {line["key"] for line in digest.detail["lines"]}
    assert {"reviews.overdue", "support.six_week_breaches"} <= keys
    assert all(set(line) == {"key", "count", "text"} for line in digest.detail["lines"])


def test_delivery_cancels_what_no_longer_waits_fails_no_address_at_once_and_survives_a_bad_row(
    app: Flask,
    db_session: Session,
    factories: Factories,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from assessment_engine.kernel.models import AuditEvent
    from assessment_engine.notifications.jobs import MAILER
    from assessment_engine.notifications.models import OutboxStatus
    from assessment_engine.notifications.scheduler import run_due
    from assessment_engine.partners.services import ensure_service

    assessor = factories.user(role="assessor", org="perth-kinross-council")
    manager = factories.user(role="team_manager", org="nhs-tayside")
    crisis = _referral_to(
        app,
        db_session,
        factories,
        assessor,
        "depression-with-self-harm-thoughts",
        "crisis-mental-health",
    )
    told = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.referral_id == crisis.id)
    ).one()
    # Accepted before the runner came round: the team need not be told it is waiting.
    referrals.accept(db_session, Actor.for_user(manager), crisis, expected_version=crisis.version)
    nowhere, _ = ensure_service(
        db_session,
        slug="day-centre",
        name="Day centre",
        organisation=crisis.service.organisation,
        kind=crisis.service.kind,
    )
    assert nowhere.team_email == ""
    unaddressed = OutboxMessage(
        kind=OutboxKind.REFERRAL, service_id=nowhere.id, detail={"urgency": "urgent"}
    )
    broken = OutboxMessage(
        kind=OutboxKind.DIGEST, service_id=crisis.service_id, detail={"lines": [{"no": 1}]}
    )
    db_session.add_all([unaddressed, broken])
    db_session.commit()
    others = set(db_session.scalars(select(OutboxMessage.id))) - {
        told.id,
        unaddressed.id,
        broken.id,
    }
    monkeypatch.setitem(app.extensions, MAILER, FileMailer(tmp_path))

    with app.app_context(), caplog.at_level(logging.ERROR, "assessment_engine.notifications"):
        (result,) = run_due(app, ["deliver-outbox"], force=True)
    # Not ok: a notification failed for good (the service has no address); logged at ERROR.
    assert not result.ok
    assert f"{len(others)} sent, 1 to retry, 1 failed, 1 no longer waiting" in result.outcome
    assert any(
        record.levelno == logging.ERROR and str(unaddressed.id) in record.getMessage()
        for record in caplog.records
    )
    db_session.expire_all()
    assert (told.status, told.attempts) == (OutboxStatus.CANCELLED, 0)
    assert not (tmp_path / f"{told.id}.eml").exists()
    cancelled = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "notification.cancelled")
    ).all()
    assert [event.record_id for event in cancelled] == [str(told.id)]
    assert (unaddressed.status, unaddressed.attempts) == (OutboxStatus.FAILED, 1)
    # The bad row is kept for a retry, recorded by its error's type only; the rest went out.
    assert (broken.status, broken.attempts, broken.last_error) == (
        OutboxStatus.PENDING,
        1,
        "KeyError",
    )
    assert {path.stem for path in tmp_path.glob("*.eml")} == {str(i) for i in others}


def test_a_claim_needs_the_row_due_and_an_outcome_needs_the_claim(
    app: Flask, db_session: Session
) -> None:
    from assessment_engine.notifications.models import OutboxStatus
    from assessment_engine.notifications.outbox import DeliveryReport, _sent, claim
    from assessment_engine.partners.models import Service

    service = db_session.scalar(select(Service).where(Service.team_email != ""))
    assert service is not None
    now = datetime.now(UK)
    row = OutboxMessage(
        kind=OutboxKind.REFERRAL,
        service_id=service.id,
        detail={"urgency": "urgent"},
        next_attempt_at=now + timedelta(minutes=5),
    )
    db_session.add(row)
    db_session.commit()
    lease = timedelta(minutes=2)
    assert not claim(db_session, row.id, now, now + lease)  # a retry not due yet
    later = now + timedelta(minutes=6)
    first = later + lease
    assert claim(db_session, row.id, later, first)
    assert not claim(db_session, row.id, later, later + lease)  # held
    # The first runner's lease ran out while its mail server dawdled; another took the row.
    taken_over = first + timedelta(seconds=1)
    assert claim(db_session, row.id, taken_over, taken_over + lease)
    report = DeliveryReport()
    _sent(db_session, row, first, report)  # the first runner's outcome comes too late
    db_session.commit()
    db_session.expire_all()
    assert report.sent == 0 and (row.status, row.attempts) == (OutboxStatus.PENDING, 0)


def test_run_scheduled_honours_its_jobs_in_the_loop(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    from assessment_engine.notifications import commands

    loop = commands.run_forever

    def one_round(app: Flask, seconds: float, stop: Any, report: Any, names: Any = ()) -> None:
        def said(result: Any) -> None:
            report(result)
            stop.set()  # stop after the first job that ran, as Ctrl-C would

        loop(app, seconds, stop, said, names)

    monkeypatch.setattr(commands, "run_forever", one_round)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)  # keep pytest's own handlers
    ran = app.test_cli_runner().invoke(
        args=["run-scheduled", "--job", "purge-idempotency-keys", "--interval", "0"]
    )
    assert ran.exit_code == 0, ran.output
    assert "every 0s: purge-idempotency-keys (Ctrl-C" in ran.output
    assert "purge-idempotency-keys: ok in" in ran.output
    assert "daily-digests" not in ran.output and "deliver-outbox" not in ran.output
