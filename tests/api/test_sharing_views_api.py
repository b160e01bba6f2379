"""``GET``/``POST /api/v1/clients/{id}/sharing-views``: the same rules as the pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from assessment_engine.kernel.actor import Actor
from assessment_engine.records import sharing
from assessment_engine.records.models import AuditEvent, SharingView

from ..records import builders

COUNCIL, NHS, LINK = "perth-kinross-council", "nhs-tayside", "community-link"


def _days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def test_a_partner_system_records_and_reads_views(api_as: Any, factories: Any, db_session) -> None:
    person = factories.client(org=COUNCIL)
    council = api_as(COUNCIL)
    made = council.post(
        f"/api/v1/clients/{person.id}/sharing-views",
        {"status": "declined", "partners": [NHS], "stated_on": _days_ago(3), "notes": "Asked"},
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["partners"] == [NHS] and body["recorded_by_organisation"] == COUNCIL
    assert body["recorded_by"] is None
    # The declined partner now sees neither the views nor can it record one.
    nhs = api_as(NHS)
    assert nhs.get(f"/api/v1/clients/{person.id}/sharing-views").status_code == 404
    lifted = nhs.post(
        f"/api/v1/clients/{person.id}/sharing-views",
        {"status": "agreed", "partners": [LINK], "stated_on": _days_ago(0)},
    )
    assert lifted.status_code == 404
    listing = council.get(f"/api/v1/clients/{person.id}/sharing-views?limit=1").get_json()
    assert [item["id"] for item in listing["items"]] == [body["id"]]
    assert listing["next_cursor"] is None
    assert db_session.scalar(select(func.count()).select_from(SharingView)) == 1


def test_bad_views_get_pointers(api_as: Any, factories: Any) -> None:
    person = factories.client(org=COUNCIL)
    council = api_as(COUNCIL)
    url = f"/api/v1/clients/{person.id}/sharing-views"
    unknown = council.post(
        url, {"status": "agreed", "partners": ["nowhere"], "stated_on": _days_ago(0)}
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["pointer"] == "/partners/0"
    future = council.post(url, {"status": "agreed", "partners": [NHS], "stated_on": _days_ago(-2)})
    assert future.status_code == 422
    assert future.get_json()["errors"][0]["pointer"] == "/stated_on"
    own = council.post(url, {"status": "agreed", "partners": [COUNCIL], "stated_on": _days_ago(0)})
    assert own.status_code == 422  # never one's own organisation


def test_lifting_another_organisation_s_restriction_needs_a_later_view(
    api_as: Any, factories: Any, db_session: Any
) -> None:
    person = factories.client(org=COUNCIL)
    council = api_as(COUNCIL)
    url = f"/api/v1/clients/{person.id}/sharing-views"
    declined = council.post(
        url, {"status": "declined", "partners": [LINK], "stated_on": _days_ago(5)}
    ).get_json()
    nhs = api_as(NHS)
    same_day = nhs.post(url, {"status": "agreed", "partners": [LINK], "stated_on": _days_ago(5)})
    assert same_day.status_code == 422
    assert "stated after" in same_day.get_json()["errors"][0]["message"]
    later = nhs.post(url, {"status": "agreed", "partners": [LINK], "stated_on": _days_ago(1)})
    assert later.status_code == 201
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "sharing.lift"))
    assert event.detail["replaces"] == int(declined["id"])
    council_org = factories.organisation(COUNCIL)
    (shown,) = sharing.lifted_restrictions(db_session, person.id, council_org.id)
    assert shown.replaced.id == int(declined["id"]) and shown.partner.slug == LINK
    assert sharing.lifted_restrictions(db_session, person.id, factories.organisation(NHS).id) == []


def test_the_lift_is_shown_on_the_recorder_s_page(
    client: Any, login_as: Any, factories: Any, db_session: Any
) -> None:
    person = factories.client(org=COUNCIL)
    council_worker = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    nhs_worker = builders.user(db_session, "assessor", factories.organisation(NHS))
    link = factories.organisation(LINK)
    sharing.record_sharing_view(
        db_session,
        Actor.for_user(council_worker),
        person,
        status="withdrawn",
        stated_on=date.today() - timedelta(days=4),
        partner_ids=[link.id],
    )
    sharing.record_sharing_view(
        db_session,
        Actor.for_user(nhs_worker),
        person,
        status="agreed",
        stated_on=date.today(),
        partner_ids=[link.id],
    )
    login_as("assessor", COUNCIL)
    html = client.get(f"/people/{person.id}/sharing").get_data(as_text=True)
    assert 'id="lifted"' in html and "Community Link" in html
    login_as("assessor", NHS)
    html = client.get(f"/people/{person.id}/sharing").get_data(as_text=True)
    assert 'id="lifted"' not in html
