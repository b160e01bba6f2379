"""Idempotency keys and ETag / If-Match, on assessments and referrals."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import func, select

from assessment_engine.api.models import ApiClient, IdempotencyKey, IdempotencyState
from assessment_engine.api.tokens import hash_token
from assessment_engine.assessments.models import Assessment

from .conftest import Api


def _body(person: Any, answers: Any, status: str = "submitted") -> dict[str, Any]:
    return {
        "client_id": str(person.id),
        "questionnaire": "joint-assessment",
        "answers": answers,
        "status": status,
    }


def _count(db_session: Any) -> int:
    return int(db_session.scalar(select(func.count()).select_from(Assessment)))


def test_same_key_different_body_is_422(
    api: Api, person: Any, example: Any, db_session: Any
) -> None:
    key = str(uuid.uuid4())
    first = api.post(
        "/api/v1/assessments",
        _body(person, example("carer-under-strain")),
        headers={"Idempotency-Key": key},
    )
    assert first.status_code == 201
    other = api.post(
        "/api/v1/assessments",
        _body(person, example("falls-and-nursing-tasks")),
        headers={"Idempotency-Key": key},
    )
    assert other.status_code == 422
    assert other.get_json()["errors"][0]["parameter"] == "Idempotency-Key"
    assert _count(db_session) == 1


def test_keys_belong_to_one_client(
    api: Api, api_as: Any, person: Any, example: Any, db_session: Any
) -> None:
    key = str(uuid.uuid4())
    body = _body(person, example("carer-under-strain"))
    assert (
        api.post("/api/v1/assessments", body, headers={"Idempotency-Key": key}).status_code == 201
    )
    other = api_as("nhs-tayside")
    assert (
        other.post("/api/v1/assessments", body, headers={"Idempotency-Key": key}).status_code == 201
    )
    assert _count(db_session) == 2


def test_a_request_still_running_gets_409(
    api: Api, person: Any, example: Any, db_session: Any
) -> None:
    body = _body(person, example("carer-under-strain"))
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    fingerprint = hashlib.sha256(f"POST /api/v1/assessments\n{canonical}".encode()).hexdigest()
    owner = db_session.scalar(
        select(ApiClient).where(ApiClient.token_hash == hash_token(api.token))
    )
    db_session.add(
        IdempotencyKey(
            api_client_id=owner.id,
            key="k-1",
            fingerprint=fingerprint,
            state=IdempotencyState.IN_PROGRESS,
            response_headers={},
        )
    )
    db_session.flush()
    response = api.post("/api/v1/assessments", body, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert _count(db_session) == 0


def test_a_rejected_request_releases_its_key(
    api: Api, person: Any, example: Any, db_session: Any
) -> None:
    answers = example("carer-under-strain")
    del answers["mood"]
    bad = api.post(
        "/api/v1/assessments", _body(person, answers), headers={"Idempotency-Key": "k-2"}
    )
    assert bad.status_code == 422
    assert db_session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    fixed = api.post(
        "/api/v1/assessments", _body(person, answers, "draft"), headers={"Idempotency-Key": "k-2"}
    )
    assert fixed.status_code == 201


def test_an_invalid_key_is_422(api: Api, person: Any, example: Any) -> None:
    response = api.post(
        "/api/v1/assessments", _body(person, {}, "draft"), headers={"Idempotency-Key": "has spaces"}
    )
    assert response.status_code == 422


def test_patch_needs_if_match_and_refuses_stale_versions(
    api: Api, person: Any, example: Any, db_session: Any
) -> None:
    answers = example("carer-under-strain")
    partial = {"about": answers["about"]}
    draft = api.post("/api/v1/assessments", _body(person, partial, "draft"))
    url = draft.headers["Location"]
    etag = draft.headers["ETag"]

    missing = api.patch(url, {"answers": answers})
    assert missing.status_code == 428
    stale = api.patch(url, {"answers": answers}, headers={"If-Match": '"something-else"'})
    assert stale.status_code == 412

    saved = api.patch(url, {"answers": answers}, headers={"If-Match": etag})
    assert saved.status_code == 200, saved.get_json()
    assert saved.headers["ETag"] != etag
    assert saved.get_json()["status"] == "draft"
    # The old ETag is now stale: a second writer who read before the save is refused.
    assert api.patch(url, {"status": "submitted"}, headers={"If-Match": etag}).status_code == 412

    submitted = api.patch(url, {"status": "submitted"}, headers={"If-Match": saved.headers["ETag"]})
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["decision"]["route"] in (
        "social_care",
        "both",
        "health",
        "community",
    )
    again = api.patch(url, {"answers": answers}, headers={"If-Match": submitted.headers["ETag"]})
    assert again.status_code == 409  # no longer a draft


def test_patch_with_nothing_to_change_is_422(api: Api, person: Any) -> None:
    draft = api.post("/api/v1/assessments", _body(person, {}, "draft"))
    response = api.patch(draft.headers["Location"], {}, headers={"If-Match": draft.headers["ETag"]})
    assert response.status_code == 422


def test_amending_makes_a_new_linked_assessment(
    api: Api, person: Any, example: Any, db_session: Any
) -> None:
    first = api.post("/api/v1/assessments", _body(person, example("carer-under-strain"))).get_json()
    changed = example("carer-under-strain")
    changed["carer"]["hours_per_week"] = 20
    amended = api.post(
        f"/api/v1/assessments/{first['id']}/amendments", {"answers": changed, "status": "submitted"}
    )
    assert amended.status_code == 201, amended.get_json()
    body = amended.get_json()
    assert body["amends_id"] == first["id"] and body["id"] != first["id"]
    assert body["answers"]["carer"]["hours_per_week"] == 20
    original = api.get(f"/api/v1/assessments/{first['id']}").get_json()
    assert original["answers"]["carer"]["hours_per_week"] == 100
    # The 201 is built from what the amendment made (its referrals are not read back): it says
    # what reading the amendment says.
    assert body["referrals"], body
    read = api.get(f"/api/v1/assessments/{body['id']}")
    assert read.get_json() == body
    assert read.headers["ETag"] == amended.headers["ETag"]

    draft = api.post("/api/v1/assessments", _body(person, {}, "draft")).get_json()
    assert api.post(f"/api/v1/assessments/{draft['id']}/amendments").status_code == 409
    # Only the latest version of a chain is amended, so chains never fork.
    again = api.post(f"/api/v1/assessments/{first['id']}/amendments", {"status": "draft"})
    assert again.status_code == 409


def test_only_the_organisation_that_made_an_assessment_amends_it(
    api: Api, api_as: Any, person: Any, example: Any
) -> None:
    first = api.post("/api/v1/assessments", _body(person, example("carer-under-strain"))).get_json()
    council = api_as("perth-kinross-council")
    response = council.post(f"/api/v1/assessments/{first['id']}/amendments", {"status": "draft"})
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"


def test_referrals_are_accepted_declined_and_completed_with_if_match(
    api: Api, api_as: Any, person: Any, example: Any, factories: Any
) -> None:
    for name in ("frail-older-person-living-alone", "carer-under-strain"):
        api.post("/api/v1/assessments", _body(person, example(name)))
    council = api_as("perth-kinross-council")
    pending = council.get("/api/v1/referrals?status=pending").get_json()["items"]
    assert len(pending) >= 2, pending
    first, second = pending[0], pending[1]

    url = f"/api/v1/referrals/{first['id']}"
    etag = council.get(url).headers["ETag"]
    assert council.patch(url, {"status": "accepted"}).status_code == 428
    worker = factories.user(org="perth-kinross-council")
    stranger = factories.user(org="community-link")
    refused = council.patch(
        url, {"status": "accepted", "assigned_to": str(stranger.id)}, headers={"If-Match": etag}
    )
    assert refused.status_code == 422
    accepted = council.patch(
        url, {"status": "accepted", "assigned_to": str(worker.id)}, headers={"If-Match": etag}
    )
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["assigned_to"] == str(worker.id)
    assert (
        council.patch(url, {"status": "completed"}, headers={"If-Match": etag}).status_code == 412
    )
    completed = council.patch(
        url, {"status": "completed"}, headers={"If-Match": accepted.headers["ETag"]}
    )
    assert completed.status_code == 200 and completed.get_json()["completed_at"]
    # Completed is final.
    again = council.patch(
        url, {"status": "declined", "reason": "x"}, headers={"If-Match": completed.headers["ETag"]}
    )
    assert again.status_code == 409

    url = f"/api/v1/referrals/{second['id']}"
    etag = council.get(url).headers["ETag"]
    no_reason = council.patch(url, {"status": "declined"}, headers={"If-Match": etag})
    assert no_reason.status_code == 422
    assert no_reason.get_json()["errors"][0]["pointer"] == "/reason"
    declined = council.patch(
        url, {"status": "declined", "reason": "Already receiving care"}, headers={"If-Match": etag}
    )
    assert declined.status_code == 200
    assert declined.get_json()["decline_reason"] == "Already receiving care"
    assert (
        council.get("/api/v1/referrals?status=declined").get_json()["items"][0]["id"]
        == second["id"]
    )


def test_lists_are_paginated_with_an_opaque_cursor(
    api: Api, api_as: Any, person: Any, example: Any
) -> None:
    for name in (
        "frail-older-person-living-alone",
        "carer-under-strain",
        "falls-and-nursing-tasks",
    ):
        api.post("/api/v1/assessments", _body(person, example(name)))
    council = api_as("perth-kinross-council")
    everything = council.get("/api/v1/referrals?limit=200").get_json()
    assert everything["next_cursor"] is None
    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/referrals?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = council.get(url).get_json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [item["id"] for item in everything["items"]]
    assert len(seen) >= 3

    questionnaires = api.get("/api/v1/questionnaires?limit=1").get_json()
    assert len(questionnaires["items"]) == 1 and questionnaires["next_cursor"]
