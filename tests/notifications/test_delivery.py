"""Notifications end to end, against a real SMTP server: written with the referral, mailed
after commit by the scheduled runner, naming no one, retried after a failure, sent once."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessment_engine.api.tokens import create_api_client
from assessment_engine.assessments.models import Referral
from assessment_engine.extensions import db
from assessment_engine.kernel.models import AuditEvent
from assessment_engine.notifications.jobs import MAILER
from assessment_engine.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from assessment_engine.notifications.outbox import DeliveryReport, deliver_due, delivery_policy
from assessment_engine.notifications.scheduler import run_due
from assessment_engine.partners.models import Service
from assessment_engine.partners.services import get_organisation

from ..factories import Factories, example_answers
from .conftest import Mailbox

ROOT = Path(__file__).resolve().parents[2]
PERSON = {
    "chi": "1904851231",
    "given_name": "Morag",
    "family_name": "Pettigrew",
    "date_of_birth": "1985-04-19",
    "postcode": "PH1 5PH",
}
SERVICE_NAMES = [
    entry["name"] for entry in json.loads((ROOT / "form_schemas/services.json").read_text())
]


def _said_nothing_about_anyone(message: Any, text: str) -> None:
    whole = message.as_string().lower()
    for secret in (
        PERSON["chi"],
        PERSON["given_name"],
        PERSON["family_name"],
        PERSON["postcode"],
        "1985",
        "19/04",
        "19 april",
        "190485",
    ):
        assert secret.lower() not in whole, secret
    for name in SERVICE_NAMES:
        assert name.lower() not in whole, name
    for word in ("mental", "crisis", "depress", "self-harm", "harm", "sertraline", "polish"):
        assert word not in whole, word
    assert text in message.get_payload(decode=True).decode()
    assert "https://assessment.example/referrals" in whole


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_same_day_referral_is_mailed_after_commit_retried_and_sent_once(
    scratch_app: Callable[..., Flask], smtp_config: dict[str, Any], mailbox: Mailbox
) -> None:
    app = scratch_app(**smtp_config)
    with app.app_context():
        org = get_organisation(db.session, "perth-kinross-council")
        assert org is not None
        token = create_api_client(db.session, org, "Council case system").token
        db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    http = app.test_client()

    # The mail server is down: the request that makes the referral succeeds all the same.
    mailbox.refuse = True
    created = http.post("/api/v1/clients", json=PERSON, headers=auth)
    assert created.status_code == 201, created.get_json()
    submitted = http.post(
        "/api/v1/assessments",
        json={
            "client_id": created.get_json()["id"],
            "questionnaire": "joint-assessment",
            "answers": example_answers("depression-with-self-harm-thoughts"),
            "status": "submitted",
        },
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert submitted.status_code == 201, submitted.get_json()
    assert mailbox.attempts == 0  # nothing is sent by the request itself

    with app.app_context():
        referrals = db.session.scalars(select(Referral)).all()
        at_once = [r for r in referrals if r.urgency.value in ("same_day", "urgent")]
        assert any(r.urgency.value == "same_day" for r in at_once)
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert len(rows) == len(at_once)
        assert sorted(r.service_id for r in rows) == sorted(r.service_id for r in at_once)
        assert all(row.detail.keys() == {"urgency"} for row in rows)

        # The runner tries, the server refuses: retried later, audited, nothing lost.
        (result,) = run_due(app, ["deliver-outbox"], force=True)
        assert result.ok and f"0 sent, {len(rows)} to retry" in result.outcome
        assert mailbox.attempts == len(rows)  # each was tried, and refused
        db.session.expire_all()
        for row in db.session.scalars(select(OutboxMessage)):
            assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
            assert "SMTPDataError" in row.last_error
        failed = _events("notification.failed")
        assert len(failed) == len(rows)
        assert failed[0].detail["final"] is False

    # The server is back: the next run delivers each message, to its team's address.
    mailbox.refuse = False
    with app.app_context():
        (result,) = run_due(app, ["deliver-outbox"], force=True)
        assert f"{len(rows)} sent" in result.outcome
        crisis = db.session.scalar(select(Service).where(Service.slug == "crisis-mental-health"))
        assert crisis is not None
        assert [crisis.team_email] in mailbox.recipients
        assert len(mailbox.received) == len(rows)
        same_day = [m for m in mailbox.received if "same-day" in str(m["Subject"])]
        assert len(same_day) == 1
        _said_nothing_about_anyone(same_day[0], "A same-day referral is waiting for your team.")
        assert same_day[0]["Subject"] == "A same-day referral is waiting for your team"
        sent = db.session.scalars(select(OutboxMessage)).all()
        assert {row.status for row in sent} == {OutboxStatus.SENT}
        assert sorted(mailbox.ids()) == sorted(f"<{row.id}@assessment.example>" for row in sent)
        assert len(_events("notification.sent")) == len(rows)

        # Sent is sent: another run sends nothing again.
        (result,) = run_due(app, ["deliver-outbox"], force=True)
        assert result.outcome.startswith("0 sent, 0 to retry")
    assert len(mailbox.received) == len(rows)


def test_a_rolled_back_referral_sends_nothing(
    app: Flask,
    db_session: Session,
    factories: Factories,
    smtp_config: dict[str, Any],
    mailbox: Mailbox,
) -> None:
    from assessment_engine.notifications.mail import mailer_from_config

    assessor = factories.user(role="assessor", org="perth-kinross-council")
    factories.settle()
    outer = db_session.begin_nested()
    factories.submitted(app, example_answers("depression-with-self-harm-thoughts"), assessor)
    # Written in the referral's own transaction...
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) >= 1
    outer.rollback()
    # ...and gone with it: the runner finds nothing to send.
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    config = {**app.config, **smtp_config}
    report = deliver_due(
        db_session, mailer_from_config(config, app.instance_path), delivery_policy(config)
    )
    assert str(report) == "0 sent, 0 to retry, 0 failed"
    assert mailbox.attempts == 0


def test_two_runners_at_once_deliver_each_message_once(
    scratch_app: Callable[..., Flask], smtp_config: dict[str, Any], mailbox: Mailbox
) -> None:
    app = scratch_app(**smtp_config)
    with app.app_context():
        crisis = db.session.scalar(select(Service).where(Service.slug == "crisis-mental-health"))
        assert crisis is not None
        for _ in range(6):
            db.session.add(
                OutboxMessage(
                    kind=OutboxKind.REFERRAL, service_id=crisis.id, detail={"urgency": "urgent"}
                )
            )
        db.session.commit()
    mailbox.delay = 0.05  # slow enough that the two runners overlap
    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []

    def runner() -> None:
        # Each thread has its own app context, so its own session and database connection.
        try:
            with app.app_context():
                start.wait()
                reports.append(
                    deliver_due(db.session(), app.extensions[MAILER], delivery_policy(app.config))
                )
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sum(report.sent for report in reports) == 6
    assert len(mailbox.ids()) == 6 == len(set(mailbox.ids()))
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.SENT, 1)}

        # The sends were audited after the last checkpoint: the audit-checkpoint job signs the
        # new head, and then has nothing to do until more events come.
        (signed,) = run_due(app, ["audit-checkpoint"], force=True)
        assert signed.ok and signed.outcome.startswith("wrote checkpoint #"), signed.outcome
        head = db.session.scalar(select(func.max(AuditEvent.id)))
        assert f"up to event {head})" in signed.outcome
        (again,) = run_due(app, ["audit-checkpoint"], force=True)
        assert again.outcome == "the chain's head is already signed"


def test_the_envelope_goes_to_the_team_address_given_not_to_the_header(
    smtp_config: dict[str, Any], mailbox: Mailbox
) -> None:
    from email.message import EmailMessage

    from assessment_engine.notifications.mail import SmtpMailer

    message = EmailMessage()
    message["From"] = "no-reply@assessment.example"
    message["To"] = "someone-else@elsewhere.example"
    message["Subject"] = "An urgent referral is waiting for your team"
    message.set_content("An urgent referral is waiting for your team.")
    SmtpMailer("127.0.0.1", smtp_config["SMTP_PORT"], timeout=5).send(
        message, to_addrs=["team-7301@tayside.example"]
    )
    assert mailbox.recipients == [["team-7301@tayside.example"]]


def test_the_seeded_team_addresses_say_nothing_of_what_the_team_does() -> None:
    entries = json.loads((ROOT / "form_schemas/services.json").read_text())
    addressed = [entry for entry in entries if entry.get("team_email")]
    assert addressed
    for entry in addressed:
        local = entry["team_email"].split("@", 1)[0].lower()
        words = {word for word in entry["slug"].split("-") if len(word) > 2}
        words |= {word.lower() for word in entry["name"].split() if len(word) > 2}
        assert not any(word in local for word in words - {"team"}), entry["team_email"]
        assert local.startswith("team-"), entry["team_email"]
