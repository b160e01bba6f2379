"""The support and review API (api.md "Additions"): scopes never given by default, If-Match on
the referral, Idempotency-Key replays, problem+json pointing at the member refused, and only the
organisation the referral was addressed to sees the plan and its reviews."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B.careplan import CarePlan
from sqlalchemy import select, update

from assessment_engine.assessments.clock import uk_today
from assessment_engine.assessments.models import Referral
from assessment_engine.kernel.actor import Actor
from assessment_engine.records.sharing import record_sharing_view
from assessment_engine.support.models import Review

from ..factories import example_answers

COUNCIL = "perth-kinross-council"
SCOPES = ["referrals:read", "referrals:write", "support:read", "support:write"]


def _errors(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    return {
        e.get("pointer") or e.get("parameter"): e["message"]
        for e in response.get_json().get("errors", [])
    }


def test_support_and_its_review_through_the_api(
    app: Any, api_as: Any, factories: Any, db_session: Any
) -> None:
    assessor = factories.user("assessor", COUNCIL)
    assessment = factories.submitted(app, example_answers("carer-under-strain"), assessor)
    referral = db_session.scalar(
        select(Referral)
        .where(Referral.assessment_id == assessment.id)
        .where(Referral.service.has(slug="home-care"))
    )
    council = api_as(COUNCIL, SCOPES)
    url = f"/api/v1/referrals/{referral.id}"
    etag = council.get(url).headers["ETag"]
    accepted = council.patch(url, {"status": "accepted"}, headers={"If-Match": etag})
    assert accepted.status_code == 200
    etag = accepted.headers["ETag"]
    today = date.today()
    body = {
        "start_date": today.isoformat(),
        "summary": "Home care, mornings",
        "hours_per_week": "7",
    }

    # The new scopes are never a default; other organisations see nothing.
    assert (
        api_as(COUNCIL).post(f"{url}/support", body, headers={"If-Match": etag}).status_code == 403
    )
    other = api_as("nhs-tayside", SCOPES)
    assert other.post(f"{url}/support", body, headers={"If-Match": etag}).status_code == 404
    # If-Match on the referral.
    _errors(council.post(f"{url}/support", body), 428)
    _errors(council.post(f"{url}/support", body, headers={"If-Match": '"referral-x-1"'}), 412)
    # Field errors, each on its member; nothing saved.
    bad = {
        "start_date": (today - timedelta(days=30)).isoformat(),
        "summary": "Home care",
        "hours_per_week": "-2",
        "sds_option": "7",
        "weekly_cost": "lots",
    }
    errors = _errors(council.post(f"{url}/support", bad, headers={"If-Match": etag}), 422)
    assert set(errors) == {"/start_date", "/hours_per_week", "/sds_option", "/weekly_cost"}

    headers = {"If-Match": etag, "Idempotency-Key": "support-1"}
    made = council.post(f"{url}/support", {**body, "sds_option": "2"}, headers=headers)
    assert made.status_code == 201, made.get_json()
    plan = made.get_json()
    assert (plan["hours_per_week"], plan["sds_option"], plan["status"]) == ("7", "2", "active")
    assert plan["next_review_due"] == (today + timedelta(days=42)).isoformat()
    assert [v["reason"] for v in plan["versions"]] == ["Support started"]
    replay = council.post(f"{url}/support", {**body, "sds_option": "2"}, headers=headers)
    assert (replay.status_code, replay.get_json()["id"]) == (201, plan["id"])
    again = council.post(f"{url}/support", body, headers={"If-Match": etag})
    _errors(again, 409)

    shown = council.get(f"/api/v1/support-plans/{plan['id']}")
    assert shown.status_code == 200 and shown.headers["ETag"]
    assert other.get(f"/api/v1/support-plans/{plan['id']}").status_code == 404

    # The review queue: due, not yet overdue; time moves on and it is.
    listed = council.get("/api/v1/reviews").get_json()["items"]
    [review] = [r for r in listed if r["support_plan_id"] == plan["id"]]
    assert review["overdue"] is False
    assert council.get("/api/v1/reviews?status=overdue").get_json()["items"] == []
    db_session.execute(
        update(Review)
        .where(Review.plan_id == uuid.UUID(plan["id"]))
        .values(due_on=today - timedelta(days=3))
    )
    overdue = council.get("/api/v1/reviews?status=overdue&limit=1").get_json()
    assert [r["id"] for r in overdue["items"]] == [review["id"]]
    _errors(council.get("/api/v1/reviews?cursor=nonsense"), 422)
    assert other.get("/api/v1/reviews").get_json()["items"] == []

    # The review assessment is a reassessment, not the assessment support came from; fewer
    # hours are a reduction whatever the outcome says.
    outcome = f"/api/v1/reviews/{review['id']}/outcome"
    again = factories.submitted(
        app, example_answers("carer-under-strain"), assessor, assessment.client
    )
    errors = _errors(
        council.post(
            outcome,
            {"outcome": "continue", "reason": "Fine", "assessment_id": str(assessment.id)},
        ),
        422,
    )
    assert set(errors) == {"/assessment_id"}
    increase = {"outcome": "increase", "reason": "More", "assessment_id": str(again.id)}
    errors = _errors(council.post(outcome, {**increase, "hours_per_week": "1"}), 422)
    assert errors == {"/hours_per_week": "This lowers the hours a week: choose Reduce"}
    errors = _errors(council.post(outcome, {**increase, "sds_option": "1"}), 422)
    assert set(errors) == {"/person_agreed", "/carer_agreed"}
    # A reduction without the person's (and the carer's) agreement is refused.
    reduce = {
        "outcome": "reduce",
        "reason": "Managing mornings",
        "assessment_id": str(again.id),
        "hours_per_week": "5",
    }
    errors = _errors(council.post(outcome, reduce), 422)
    assert set(errors) == {"/person_agreed", "/carer_agreed"}
    _errors(council.post(outcome, {**reduce, "person_agreed": True}), 422)
    assert other.post(outcome, reduce).status_code == 404
    _errors(council.post(outcome, reduce, headers={"If-Match": '"review-x-9"'}), 412)
    agreed = {**reduce, "person_agreed": True, "carer_agreed": True}
    done = council.post(outcome, agreed, headers={"Idempotency-Key": "outcome-1"})
    assert done.status_code == 201, done.get_json()
    result = done.get_json()
    assert (result["status"], result["outcome"], result["agreed_by"]) == (
        "completed",
        "reduce",
        "person",
    )
    replay = council.post(outcome, agreed, headers={"Idempotency-Key": "outcome-1"})
    assert replay.status_code == 201 and replay.get_json() == result
    _errors(council.post(outcome, agreed), 409)
    after = council.get(f"/api/v1/support-plans/{plan['id']}").get_json()
    assert after["hours_per_week"] == "5"
    assert [v["number"] for v in after["versions"]] == [1, 2]
    assert after["next_review_due"] == (today + timedelta(days=365)).isoformat()
    assert (
        shown.headers["ETag"] != council.get(f"/api/v1/support-plans/{plan['id']}").headers["ETag"]
    )

    # The FHIR export: a valid R4 CarePlan referencing the QuestionnaireResponse.
    exported = council.get(f"/api/v1/support-plans/{plan['id']}/fhir")
    assert exported.status_code == 200 and exported.mimetype == "application/fhir+json"
    resource = exported.get_json()
    CarePlan.model_validate(resource)
    assert resource["supportingInfo"] == [{"reference": f"QuestionnaireResponse/{assessment.id}"}]
    assert resource["subject"]["identifier"]["value"] == assessment.client.chi
    assert "5 hours a week" in resource["activity"][0]["detail"]["description"]
    assert other.get(f"/api/v1/support-plans/{plan['id']}/fhir").status_code == 404

    # The person withdraws their agreement to share with the council (recorded by the NHS):
    # the plan, its reviews and their outcomes are gone for the council, as the record's
    # content is; the queue leaves them out.
    nhs = factories.user("assessor", "nhs-tayside")
    record_sharing_view(
        db_session,
        Actor.for_user(nhs),
        assessment.client,
        status="withdrawn",
        stated_on=uk_today(),
        partner_ids=[assessor.organisation_id],
    )
    [following] = [r["id"] for r in after["reviews"] if r["status"] == "due"]
    assert council.get(f"/api/v1/support-plans/{plan['id']}").status_code == 404
    assert council.get(f"/api/v1/support-plans/{plan['id']}/fhir").status_code == 404
    assert following not in [r["id"] for r in council.get("/api/v1/reviews").get_json()["items"]]
    ended = {"outcome": "end", "end_reason": "died", "reason": "Died at home"}
    assert council.post(f"/api/v1/reviews/{following}/outcome", ended).status_code == 404
    assert db_session.get(Review, uuid.UUID(following)).status.value == "due"
    accepted = council.get(url)
    again = council.post(f"{url}/support", body, headers={"If-Match": accepted.headers["ETag"]})
    assert again.status_code == 404
