"""Administrators see the notifications that have not reached their teams, and send one that
failed for good again once its cause is mended; audited; nothing about a person is shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from assessment_engine.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from assessment_engine.partners.models import Service
from assessment_engine.records.models import AuditEvent


def _message(db_session: Any, service: Service, **values: Any) -> OutboxMessage:
    message = OutboxMessage(
        kind=OutboxKind.REFERRAL, service_id=service.id, detail={"urgency": "urgent"}, **values
    )
    db_session.add(message)
    db_session.flush()
    return message


def test_failed_and_retrying_notifications_are_listed_and_a_failed_one_sent_again(
    client: Any, admin: Any, db_session: Any
) -> None:
    home_care = db_session.scalar(select(Service).where(Service.slug == "home-care"))
    failed = _message(
        db_session,
        home_care,
        status=OutboxStatus.FAILED,
        attempts=1,
        last_error="Undeliverable: the service has no team email address",
    )
    retrying = _message(db_session, home_care, attempts=2, last_error="SMTPServerDisconnected: x")
    sent = _message(db_session, home_care, status=OutboxStatus.SENT, attempts=1)
    waiting = _message(db_session, home_care)

    listing = client.get("/admin/notifications")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "1 notification has failed for good" in html
    assert "2 not delivered" in html
    assert "Failed</strong> after 1 attempt" in html and "Trying again</strong>" in html
    assert "the service has no team email address" in html
    assert f"/admin/notifications/{failed.id}/send-again" in html
    for not_failed in (retrying, sent, waiting):
        assert f"/admin/notifications/{not_failed.id}/send-again" not in html

    again = client.post_form(f"/admin/notifications/{failed.id}/send-again")
    assert again.status_code == 302
    db_session.refresh(failed)
    assert (failed.status, failed.attempts) == (OutboxStatus.PENDING, 0)
    audited = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "notification.send_again")
    ).all()
    assert [(e.record_id, e.actor) for e in audited] == [(str(failed.id), f"user:{admin.id}")]
    assert "will be sent again" in client.get("/admin/notifications").get_data(as_text=True)

    # One not failed (here: already sent) is not sent again; the page says so.
    refused = client.post_form(f"/admin/notifications/{sent.id}/send-again")
    assert refused.status_code == 302
    assert "has not failed" in client.get("/admin/notifications").get_data(as_text=True)
    db_session.refresh(sent)
    assert sent.status is OutboxStatus.SENT


def test_nothing_undelivered_says_so(client: Any, admin: Any) -> None:
    html = client.get("/admin/notifications").get_data(as_text=True)
    assert "Every notification has reached its team." in html
