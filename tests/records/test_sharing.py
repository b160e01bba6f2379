"""The person's views on sharing and emergency access, through the pages and the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from assessment_engine.db import utcnow
from assessment_engine.kernel.actor import Actor
from assessment_engine.records import access, sharing
from assessment_engine.records.models import (
    AppendOnlyError,
    AuditEvent,
    BreakGlassGrant,
    SharingView,
)

from . import builders

COUNCIL, NHS, LINK = "perth-kinross-council", "nhs-tayside", "community-link"


def _view(db_session, client, recorder, status, *orgs, days_ago=0):
    return sharing.record_sharing_view(
        db_session,
        Actor.for_user(recorder),
        client,
        status=status,
        stated_on=date.today() - timedelta(days=days_ago),
        partner_ids=[o.id for o in orgs],
    )


def test_no_view_means_shared_and_the_latest_view_per_partner_is_in_force(
    factories, db_session
) -> None:
    council, nhs, link = (factories.organisation(s) for s in (COUNCIL, NHS, LINK))
    person = factories.client(org=COUNCIL)
    recorder = factories.user("assessor", COUNCIL)
    nurse = Actor.for_user(factories.user("assessor", NHS))
    worker = Actor.for_user(factories.user("assessor", LINK))
    assert access.may_see_answers(db_session, nurse, person)

    _view(db_session, person, recorder, "declined", nhs, link)
    assert not access.may_see_answers(db_session, nurse, person)
    assert not access.may_see_answers(db_session, worker, person)
    assert access.may_see_answers(db_session, Actor.for_user(recorder), person)

    _view(db_session, person, recorder, "agreed", link)  # a change of mind for one partner
    assert not access.may_see_answers(db_session, nurse, person)
    assert access.may_see_answers(db_session, worker, person)

    _view(db_session, person, recorder, "withdrawn", link)
    assert not access.may_see_answers(db_session, worker, person)
    restriction = access.access_to(db_session, worker, person)
    assert restriction.contact == council  # whom to contact: who recorded the view in force
    assert len(sharing.sharing_history(db_session, person.id)) == 3  # history is kept


def test_administrators_never_see_answers(factories, db_session) -> None:
    person = factories.client()
    admin = Actor.for_user(factories.user("administrator", COUNCIL))
    assert not access.may_see_answers(db_session, admin, person)


def test_the_api_signature_still_works(factories, db_session) -> None:
    person = factories.client()
    actor = Actor(organisation_id=factories.organisation(NHS).id, label="api:1")
    assert access.client_for(db_session, actor, str(person.id)) is person
    assert access.may_see_answers(db_session, actor, person)
    with pytest.raises(access.RecordNotFound):
        access.client_for(db_session, actor, "not-a-uuid")


def test_sharing_views_are_history_in_the_orm_and_the_database(factories, db_session) -> None:
    person = factories.client()
    view = _view(
        db_session,
        person,
        factories.user("assessor", COUNCIL),
        "declined",
        factories.organisation(NHS),
    )
    view.notes = "changed"
    with pytest.raises(AppendOnlyError):
        db_session.flush()
    db_session.rollback()
    person = factories.client()
    view = _view(
        db_session,
        person,
        factories.user("assessor", COUNCIL),
        "declined",
        factories.organisation(NHS),
    )
    for statement in (
        "UPDATE sharing_views SET status = 'agreed' WHERE id = :id",
        "DELETE FROM sharing_view_partners WHERE sharing_view_id = :id",
    ):
        nested = db_session.begin_nested()
        with pytest.raises(DBAPIError):
            db_session.execute(text(statement), {"id": view.id})
        nested.rollback()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stated_on", ["1", "1", str(date.today().year + 1)], "today or in the past"),
        ("stated_on", ["31", "2", "2020"], "must be a real date"),
        ("partners", None, "Select at least one partner"),
        ("notes", "x" * 2001, "2000 characters or fewer"),
        ("status", "maybe", "Not a valid choice"),
    ],
)
def test_bad_sharing_input_gets_field_messages(
    client, login_as, factories, db_session, field, value, message
) -> None:
    login_as("assessor", COUNCIL)
    person = factories.client()
    data = {
        "status": "declined",
        "partners": [str(factories.organisation(NHS).id)],
        "stated_on": ["1", "1", "2020"],
    }
    if value is None:
        data.pop(field)
    else:
        data[field] = value
    response = client.post_form(f"/people/{person.id}/sharing", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert message in html
    assert db_session.scalar(select(func.count()).select_from(SharingView)) == 0


def test_a_changed_partner_id_in_the_form_is_refused(client, login_as, factories, db_session):
    user = login_as("assessor", COUNCIL)
    person = factories.client()
    for bad in (str(user.organisation_id), "999999", "x"):
        html = client.post_form(
            f"/people/{person.id}/sharing",
            {"status": "declined", "partners": [bad], "stated_on": ["1", "1", "2020"]},
        ).get_data(as_text=True)
        assert "Select partners from the list" in html
    assert db_session.scalar(select(func.count()).select_from(SharingView)) == 0


def test_recording_a_view_through_the_page_restricts_the_partner(
    client, login_as, factories, db_session
) -> None:
    login_as("assessor", COUNCIL)
    person = factories.client(address="1 High Street")
    nhs = factories.organisation(NHS)
    response = client.post_form(
        f"/people/{person.id}/sharing",
        {"status": "declined", "partners": [str(nhs.id)], "stated_on": ["1", "1", "2020"]},
        follow_redirects=True,
    )
    assert "Not shared with NHS Tayside" in response.get_data(as_text=True)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "sharing.record"))
    assert event.client_id == person.id and event.detail["status"] == "declined"

    client.post_form("/sign-out")
    login_as("assessor", NHS)
    html = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert 'id="not-shared"' in html and "Perth and Kinross Council" in html
    assert "1 High Street" not in html and person.family_name in html
    assert client.get(f"/people/{person.id}/timeline").status_code == 404


def test_break_glass_needs_a_reason_is_audited_shown_and_expires(
    client, login_as, factories, db_session, monkeypatch
) -> None:
    person = factories.client(org=COUNCIL, address="1 High Street")
    builders.decline_sharing(
        db_session, person, factories.user("assessor", COUNCIL), factories.organisation(NHS)
    )
    nurse = login_as("assessor", NHS)
    url = f"/people/{person.id}/break-glass"
    html = client.post_form(url, {"reason": "  short "}).get_data(as_text=True)
    assert "between 10 and 1000 characters" in html
    assert db_session.scalar(select(func.count()).select_from(BreakGlassGrant)) == 0

    reason = "Found on the floor at home, need her medicines and allergies"
    response = client.post_form(url, {"reason": reason}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "emergency access" in html.lower() and "1 High Street" in html
    assert reason in html  # shown on the record
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "client.break_glass"))
    assert event.user_id == nurse.id and event.detail["reason"] == reason
    view = db_session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "client.view", AuditEvent.user_id == nurse.id)
        .order_by(AuditEvent.id.desc())
    )
    assert view.detail == {"shown": "content", "break_glass": event.detail["grant"]}
    assert client.get(f"/people/{person.id}/timeline").status_code == 200

    # Personal: a colleague in the same organisation still sees only that the record exists.
    colleague = Actor.for_user(factories.user("assessor", NHS))
    assert not access.may_see_answers(db_session, colleague, person)
    # Time-limited: once expired, the record is closed again.
    expired = utcnow() + sharing.BREAK_GLASS_DURATION + timedelta(minutes=1)
    actor = Actor.for_user(nurse)
    assert sharing.active_grant(db_session, actor, person.id) is not None
    monkeypatch.setattr(sharing, "utcnow", lambda: expired)
    assert sharing.active_grant(db_session, actor, person.id) is None
    assert not access.may_see_answers(db_session, actor, person)


def test_break_glass_is_refused_where_the_record_is_shared(factories, db_session) -> None:
    person = factories.client()
    actor = Actor.for_user(factories.user("assessor", NHS))
    with pytest.raises(sharing.SharingError, match="already shared"):
        sharing.break_glass(db_session, actor, person, "An emergency of some kind")


def test_a_draft_read_with_its_view_in_force_gets_the_same_view_and_decision(
    factories, db_session
) -> None:
    """The section page reads the draft, its person and the sharing view in force in one
    statement (``get_assessment_with_view``): the view is ``view_in_force``'s and the decision
    ``access_to``'s, for every partner, as the views change."""
    from assessment_engine.assessments.services import get_assessment_with_view

    council, nhs, link = (factories.organisation(s) for s in (COUNCIL, NHS, LINK))
    person = factories.client(org=COUNCIL)
    draft = factories.assessment(client=person)
    recorder = factories.user("assessor", COUNCIL)
    actors = [Actor.for_user(factories.user("assessor", o.slug)) for o in (council, nhs, link)]

    def check() -> None:
        for actor in actors:
            found, view = get_assessment_with_view(db_session, draft.id, actor.own_organisation_id)
            assert found is draft
            assert view is sharing.view_in_force(db_session, person.id, actor.own_organisation_id)
            given = access.access_given(db_session, actor, person, view)
            assert given.decision == access.access_to(db_session, actor, person).decision
            assert given.restriction is access.access_to(db_session, actor, person).restriction

    check()  # no view: shared with all
    _view(db_session, person, recorder, "declined", nhs, link)
    check()
    _view(db_session, person, recorder, "agreed", link)  # the newest view for one partner
    check()
    _view(db_session, person, recorder, "withdrawn", nhs)
    check()
    assert not access.access_given(
        db_session,
        actors[1],
        person,
        sharing.view_in_force(db_session, person.id, actors[1].own_organisation_id),
    ).answers
    with pytest.raises(access.RecordNotFound):
        get_assessment_with_view(db_session, "not-a-uuid", council.id)
