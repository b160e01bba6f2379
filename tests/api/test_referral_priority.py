"""One rule at every door: a partner system raises a referral's own priority or urgency through
``PATCH /api/v1/referrals/{id}`` by the same service as the pages, never lowering it, with
problem+json pointing at the member refused; and the referral says who did what."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from assessment_engine.assessments import referrals
from assessment_engine.assessments.models import Referral
from assessment_engine.kernel.actor import Actor
from assessment_engine.records.models import AuditEvent

from ..factories import example_answers

NHS = "nhs-tayside"


@pytest.fixture
def home_care(app: Any, db_session: Any, factories: Any) -> Referral:
    """The low, routine home-care referral of a submitted crisis assessment (to the council)."""
    assessor = factories.user("assessor", NHS, name="Sam Reid")
    assessment = factories.submitted(
        app, example_answers("depression-with-self-harm-thoughts"), assessor
    )
    referral = db_session.scalar(
        select(Referral)
        .where(Referral.assessment_id == assessment.id)
        .where(Referral.service.has(slug="home-care"))
    )
    assert (referral.priority.value, referral.urgency.value) == ("low", "routine")
    return referral


def _patch(api: Any, referral: Referral, body: dict[str, Any], etag: str | None = None) -> Any:
    url = f"/api/v1/referrals/{referral.id}"
    if etag is None:
        etag = api.get(url).headers["ETag"]
    return api.patch(url, body, headers={"If-Match": etag})


def test_a_partner_system_raises_a_referral_with_a_reason(
    api_as: Any, home_care: Referral, db_session: Any
) -> None:
    council = api_as("perth-kinross-council")
    before = council.get(f"/api/v1/referrals/{home_care.id}")
    assert before.get_json()["priority_raised_at"] is None
    response = _patch(
        council,
        home_care,
        {"priority": "substantial", "urgency": "urgent", "priority_reason": "Carer in hospital"},
        before.headers["ETag"],
    )
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()
    assert (shown["priority"], shown["urgency"]) == ("substantial", "urgent")
    assert shown["priority_reason"] == "Carer in hospital"
    assert shown["priority_raised_at"].endswith("Z")
    assert shown["priority_raised_by"] is None  # a partner system, not a member of staff
    assert response.headers["ETag"] != before.headers["ETag"]
    db_session.commit()
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "referral.priority", AuditEvent.record_id == str(home_care.id)
        )
    ).all()
    assert [(e.detail, e.actor.startswith("api:")) for e in events] == [
        ({"from": ["low", "routine"], "to": ["substantial", "urgent"]}, True)
    ]
    # The pages say who raised it and why.
    assert referrals.reasons_for(home_care)[-1] == (
        "A partner system raised this referral to Substantial, urgent: Carer in hospital"
    )

    # Only the urgency, on its own, keeps the raised priority.
    response = _patch(
        council, home_care, {"urgency": "same_day", "priority_reason": "Found on the floor"}
    )
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["priority"], response.get_json()["urgency"]) == (
        "substantial",
        "same_day",
    )


@pytest.mark.parametrize(
    ("body", "pointer", "message"),
    [
        ({"priority": "no_risk", "priority_reason": "Family helps"}, "/priority", "never lowered"),
        (
            {"priority": "moderate", "urgency": "routine", "priority_reason": "x"},
            None,
            None,
        ),
        ({"priority": "low", "priority_reason": "Same again"}, "/priority", "Choose a higher"),
        ({"priority": "moderate", "priority_reason": "  "}, "/priority_reason", "Say why"),
        ({"priority": "moderate"}, "/priority_reason", "Say why"),
        ({"priority": "moderate", "priority_reason": "x" * 2001}, "/priority_reason", "2000"),
        ({"priority": "urgentest", "priority_reason": "x"}, "/priority", None),
        ({"priority_reason": "Because"}, "/priority_reason", "Give the priority"),
        ({}, "/status", "Give a status"),
    ],
)
def test_a_refused_raise_points_at_its_member_and_changes_nothing(
    api_as: Any, home_care: Referral, db_session: Any, body: Any, pointer: Any, message: Any
) -> None:
    council = api_as("perth-kinross-council")
    response = _patch(council, home_care, body)
    if pointer is None:  # the control: a real raise from low, routine to moderate, routine
        assert response.status_code == 200, response.get_json()
        return
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert [e["pointer"] for e in errors] == [pointer]
    if message:
        assert message in errors[0]["message"]
    db_session.refresh(home_care)
    assert (home_care.priority.value, home_care.urgency.value, home_care.version) == (
        "low",
        "routine",
        1,
    )


def test_lowering_the_urgency_is_refused_on_the_urgency_at_both_doors(
    api_as: Any, home_care: Referral, db_session: Any, client: Any, login_as: Any
) -> None:
    council = api_as("perth-kinross-council")
    raised = _patch(council, home_care, {"urgency": "urgent", "priority_reason": "Carer ill"})
    assert raised.status_code == 200
    response = _patch(council, home_care, {"urgency": "routine", "priority_reason": "Better"})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == ["/urgency"]
    assert "never lowered" in response.get_json()["detail"]

    # The pages refuse the same change with the same words, on the urgency field.
    login_as("team_manager", "perth-kinross-council")
    db_session.refresh(home_care)
    page = client.post_form(
        f"/referrals/{home_care.id}/priority",
        {
            "version": str(home_care.version),
            "priority": "low",
            "urgency": "routine",
            "priority_reason": "Better",
        },
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'href="#urgency"' in html and 'id="urgency-error"' in html
    assert "never lowered" in html


def test_raising_needs_if_match_a_fresh_etag_an_open_referral_and_the_addressee(
    api_as: Any, home_care: Referral, db_session: Any, factories: Any
) -> None:
    council = api_as("perth-kinross-council")
    url = f"/api/v1/referrals/{home_care.id}"
    body = {"priority": "moderate", "priority_reason": "Carer ill"}
    assert council.patch(url, body).status_code == 428
    stale = council.get(url).headers["ETag"]
    assert _patch(council, home_care, {"status": "accepted"}).status_code == 200
    assert council.patch(url, body, headers={"If-Match": stale}).status_code == 412
    # The assessing organisation's system (not the addressee) is told it does not exist.
    other = api_as(NHS)
    assert other.patch(url, body, headers={"If-Match": stale}).status_code == 404
    reader = api_as("perth-kinross-council", ["referrals:read"])
    assert reader.patch(url, body, headers={"If-Match": stale}).status_code == 403
    # A declined referral's priority cannot change: a conflict, not a field error.
    manager = Actor.for_user(factories.user("team_manager", "perth-kinross-council"))
    db_session.refresh(home_care)
    referrals.decline(db_session, manager, home_care, reason="Not ours", expected_version=None)
    db_session.flush()
    response = _patch(council, home_care, body)
    assert response.status_code == 409
    assert "declined, so its priority cannot change" in response.get_json()["detail"]


def test_accepting_and_raising_at_once_does_both_or_neither(
    api_as: Any, home_care: Referral, db_session: Any
) -> None:
    council = api_as("perth-kinross-council")
    refused = _patch(
        council, home_care, {"status": "accepted", "priority": "no_risk", "priority_reason": "x"}
    )
    assert refused.status_code == 422
    db_session.refresh(home_care)
    assert home_care.status.value == "pending"
    both = _patch(
        council,
        home_care,
        {"status": "accepted", "priority": "moderate", "priority_reason": "Carer ill"},
    )
    assert both.status_code == 200, both.get_json()
    assert (both.get_json()["status"], both.get_json()["priority"]) == ("accepted", "moderate")


def test_the_referral_says_who_accepted_declined_and_completed_it(
    api_as: Any, home_care: Referral, db_session: Any, factories: Any, client: Any, login_as: Any
) -> None:
    login_as("team_manager", "perth-kinross-council", name="Nina Manager")
    db_session.refresh(home_care)
    page = client.post_form(
        f"/referrals/{home_care.id}/priority",
        {
            "version": str(home_care.version),
            "priority": "moderate",
            "urgency": "routine",
            "priority_reason": "Carer ill",
        },
    )
    assert page.status_code == 302
    db_session.refresh(home_care)
    client.post_form(f"/referrals/{home_care.id}/accept", {"version": str(home_care.version)})
    db_session.refresh(home_care)
    client.post_form(f"/referrals/{home_care.id}/complete", {"version": str(home_care.version)})
    shown = api_as("perth-kinross-council").get(f"/api/v1/referrals/{home_care.id}").get_json()
    assert shown["status"] == "completed"
    assert shown["accepted_by"] == shown["completed_by"] == "Nina Manager"
    assert shown["priority_raised_by"] == "Nina Manager"
    assert shown["priority_reason"] == "Carer ill"
    assert shown["declined_by"] is None

    crisis = db_session.scalar(
        select(Referral).where(
            Referral.assessment_id == home_care.assessment_id,
            Referral.service.has(slug="community-mental-health"),
        )
    )
    nurse = Actor.for_user(factories.user("team_manager", NHS, name="Wendy Ward"))
    referrals.decline(db_session, nurse, crisis, reason="Known to us", expected_version=None)
    db_session.flush()
    shown = api_as(NHS).get(f"/api/v1/referrals/{crisis.id}").get_json()
    assert (shown["declined_by"], shown["decline_reason"]) == ("Wendy Ward", "Known to us")
