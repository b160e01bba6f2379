"""Editing a record, finding by name and date of birth, the timeline, who has seen the record,
the audit (same transaction, fails the action, ``audit-verify``)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select, text

from assessment_engine.assessments.models import AssessmentStatus, ReferralStatus
from assessment_engine.assessments.timeline import client_timeline
from assessment_engine.kernel import audit
from assessment_engine.records.models import AuditEvent, Client, SharingView

from . import builders

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"


def _form(person: Client, version: int, **changes: str) -> dict:
    data = {
        "version": str(version),
        "chi": person.chi,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": ["14", "3", "1938"],
        "postcode": "",
        "address": "",
    }
    data.update(changes)
    return data


def test_a_stale_edit_says_so_and_keeps_the_editors_changes(
    client, login_as, factories, db_session
):
    login_as("assessor", COUNCIL)
    person = factories.client("Jean", "MacDonald", date(1938, 3, 14))
    url = f"/people/{person.id}/edit"
    assert client.get(url).status_code == 200
    first = client.post_form(url, _form(person, 1, address="2 New Road"))
    assert first.status_code == 302
    second = client.post_form(url, _form(person, 1, address="3 Other Street"))
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and "Someone else changed this record" in html
    assert "3 Other Street" in html  # the editor's change is still in the form
    assert "2 New Road" in html  # next to the record as it is now
    assert 'name="version" type="hidden" value="2"' in html or 'value="2"' in html
    db_session.expire_all()
    assert db_session.get(Client, person.id).address == "2 New Road"
    # Saving again from the refreshed form works.
    third = client.post_form(url, _form(person, 2, address="3 Other Street"))
    assert third.status_code == 302
    db_session.expire_all()
    assert db_session.get(Client, person.id).address == "3 Other Street"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("chi", "1403381235", "check digit"),
        ("date_of_birth", ["30", "2", "1938"], "must be a real date"),
        ("date_of_birth", ["1", "1", "2999"], "today or in the past"),
        ("family_name", "x" * 101, "100 characters or fewer"),
        ("address", "x" * 501, "500 characters or fewer"),
    ],
)
def test_bad_edits_get_field_messages_and_nothing_changes(
    client, login_as, factories, db_session, field, value, message
):
    login_as("assessor", COUNCIL)
    person = factories.client("Jean", "MacDonald", date(1938, 3, 14))
    response = client.post_form(f"/people/{person.id}/edit", _form(person, 1, **{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html and message in html
    db_session.expire_all()
    assert db_session.get(Client, person.id).version == 1


def test_editing_to_another_records_chi_is_refused(client, login_as, factories, db_session):
    login_as("assessor", COUNCIL)
    person = factories.client("Jean", "MacDonald", date(1938, 3, 14))
    other = factories.client("Ann", "Smith", date(1938, 3, 14))
    html = client.post_form(f"/people/{person.id}/edit", _form(person, 1, chi=other.chi)).get_data(
        as_text=True
    )
    assert "already has this CHI number" in html


def test_find_by_name_and_date_of_birth(client, login_as, factories) -> None:
    login_as("assessor")
    factories.client("Jean", "MacDonald", date(1938, 3, 14))
    factories.client("Jean", "Macdonald", date(1940, 1, 2))
    html = client.get("/people", query_string={"q": "jean mcdonald"}).get_data(as_text=True)
    assert "2 people found" in html
    query = {"q": "JEAN Mc-Donald", "date_of_birth": ["14", "3", "1938"]}
    html = client.get("/people", query_string=query).get_data(as_text=True)
    assert "1 person found" in html and "14 March 1938" in html
    # A date of birth alone would list everyone born that day: it needs a name or CHI too.
    html = client.get("/people", query_string={"date_of_birth": ["2", "1", "1940"]}).get_data(
        as_text=True
    )
    assert "as well as the date of birth" in html and "found" not in html
    html = client.get(
        "/people", query_string={"q": "jean", "date_of_birth": ["1", "1", "2999"]}
    ).get_data(as_text=True)
    assert "today or in the past" in html and "found" not in html


def test_the_timeline_newest_first_with_who_and_which_organisation(factories, db_session) -> None:
    person = factories.client()
    council = factories.user("assessor", COUNCIL, name="Sam Reid")
    nurse = factories.user("assessor", NHS, name="Priya Shah")
    first = builders.assessment(db_session, person, council, created_days_ago=10)
    made = builders.decision(db_session, first)
    builders.referral(
        db_session, made, builders.service_of(db_session, factories.organisation(NHS))
    )
    signed = builders.assessment(
        db_session, person, nurse, status=AssessmentStatus.SIGNED_OFF, created_days_ago=3
    )
    builders.assessment(db_session, person, nurse, status=AssessmentStatus.DRAFT, amends=signed)
    entries = client_timeline(db_session, person.id)
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert entries[0].kind == "amendment" and entries[0].who == "Priya Shah"
    assert entries[0].organisation == "NHS Tayside"
    kinds = {e.kind for e in entries}
    assert {"assessment", "decision", "referral", "amendment"} <= kinds
    start = next(e for e in entries if e.assessment_id == first.id and "started" in e.title)
    assert start.who == "Sam Reid" and start.organisation == "Perth and Kinross Council"


def test_the_timeline_takes_the_same_number_of_queries_however_long(factories, db_session):
    person = factories.client()
    user = factories.user("assessor", COUNCIL)
    service = builders.service_of(db_session, factories.organisation(NHS))

    def add(n: int) -> None:
        for _ in range(n):
            made = builders.decision(db_session, builders.assessment(db_session, person, user))
            builders.referral(db_session, made, service, status=ReferralStatus.ACCEPTED)

    def count() -> int:
        statements: list[str] = []
        bind = db_session.connection()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(bind, "before_cursor_execute", listener)
        try:
            db_session.expunge_all()
            client_timeline(db_session, person.id)
        finally:
            event.remove(bind, "before_cursor_execute", listener)
        return len(statements)

    add(1)
    few = count()
    add(6)
    assert count() == few


def test_who_has_seen_lists_every_access(client, login_as, factories, db_session) -> None:
    person = factories.client()
    viewer = login_as("assessor", NHS)
    client.get(f"/people/{person.id}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    client.post_form("/sign-out")
    login_as("team_manager", COUNCIL)
    html = client.get(f"/people/{person.id}/seen-by").get_data(as_text=True)
    assert viewer.name in html and "NHS Tayside" in html
    assert "Opened the record" in html and "10.9.8.7" in html
    assert "Recorded the person" in html


def test_if_the_audit_write_fails_the_action_fails(
    client, login_as, factories, db_session, monkeypatch
):
    login_as("assessor", COUNCIL)
    person = factories.client("Jean", "MacDonald", date(1938, 3, 14))
    nhs = factories.organisation(NHS)

    def broken(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "_digest", broken)
    response = client.post_form(f"/people/{person.id}/edit", _form(person, 1, address="Moved"))
    assert response.status_code == 500
    response = client.post_form(
        f"/people/{person.id}/sharing",
        {"status": "declined", "partners": [str(nhs.id)], "stated_on": ["1", "1", "2020"]},
    )
    assert response.status_code == 500
    assert client.get(f"/people/{person.id}").status_code == 500  # not even a view unaudited
    db_session.expire_all()
    assert db_session.get(Client, person.id).address == ""
    assert db_session.scalar(select(func.count()).select_from(SharingView)) == 0


def test_audit_verify_command(app, factories, db_session) -> None:
    person = factories.client()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "Audit trail intact" in result.output
    event_ = db_session.scalar(
        select(AuditEvent).where(AuditEvent.client_id == person.id).order_by(AuditEvent.id)
    )
    bind = db_session.connection()
    if bind.dialect.name == "postgresql":
        bind.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    else:
        bind.execute(text("DROP TRIGGER audit_events_no_update"))
    bind.execute(
        text("UPDATE audit_events SET address = '6.6.6.6' WHERE id = :id"), {"id": event_.id}
    )
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"broken at event {event_.id}" in result.output
