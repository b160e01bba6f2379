"""Search: results only as far as the access policy allows, a date of birth needs a name or
CHI, a per-user rate limit, and each search linked to the records it showed so that it appears
on "who has seen this record" (which pages)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import client_events, write_pending
from assessment_engine.kernel.models import AuditEvent, AuditEventClient
from assessment_engine.records import access

from . import builders

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"


def test_results_show_only_what_the_policy_allows(
    client: Any, login_as: Any, factories: Any, db_session: Any
) -> None:
    shared = factories.client("Jean", "MacDonald", date(1938, 3, 14), postcode="PH1 5PH")
    declined = factories.client("Jean", "Macdonald", date(1940, 1, 2), postcode="DD1 4HN")
    recorder = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    builders.decline_sharing(db_session, declined, recorder, factories.organisation(NHS))
    login_as("assessor", NHS)
    html = client.get("/people", query_string={"q": "jean macdonald"}).get_data(as_text=True)
    assert "2 people found" in html
    assert shared.postcode[:3] in html and declined.chi_display in html
    assert declined.postcode[-3:] not in html
    assert "Not shared with your organisation" in html


def test_a_search_is_linked_to_each_record_it_showed(factories: Any, db_session: Any) -> None:
    jean = factories.client("Jean", "MacDonald")
    other = factories.client("Ann", "Smith")
    nurse = Actor.for_user(factories.user("assessor", NHS))
    shown = access.search_records(db_session, nurse, "jean macdonald")
    assert [entry.client for entry in shown] == [jean]
    write_pending(db_session)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "client.search"))
    assert event.client_id is None and event.detail["clients"] == [str(jean.id)]
    links = db_session.scalars(select(AuditEventClient.client_id)).all()
    assert links == [jean.id]
    assert event in client_events(db_session, jean.id)
    assert event not in client_events(db_session, other.id)


def test_searches_are_rate_limited_per_user(app: Any, client: Any, login_as: Any) -> None:
    app.config["SEARCH_RATE_LIMIT"] = "3 per minute"
    try:
        login_as("assessor")
        statuses = [
            client.get("/people", query_string={"q": "smith"}).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        assert client.get("/people").status_code == 200  # the empty form is not a search
    finally:
        app.config["SEARCH_RATE_LIMIT"] = "30 per minute"


def test_who_has_seen_this_record_shows_searches_and_pages(
    client: Any, login_as: Any, factories: Any, db_session: Any
) -> None:
    from assessment_engine.records import record_views

    person = factories.client("Jean", "MacDonald")
    nurse = Actor.for_user(factories.user("assessor", NHS))
    for _ in range(record_views.SEEN_BY_PAGE + 5):
        access.search_records(db_session, nurse, "jean macdonald")
    write_pending(db_session)
    login_as("team_manager", COUNCIL)
    first = client.get(f"/people/{person.id}/seen-by").get_data(as_text=True)
    assert first.count("Searched") == record_views.SEEN_BY_PAGE
    assert 'id="older"' in first
    older = first.split('id="older" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert second.count("Searched") == 5 and 'id="older"' not in second
