"""The end-to-end journey of a partner system, as issue 7's "done when" describes it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from assessment_engine.assessments.models import Assessment, Referral
from assessment_engine.questionnaires.fhir import CHI_SYSTEM

from .conftest import Api

CHI = "1904851231"


def test_a_partner_system_submits_retries_reads_and_the_receiver_accepts(
    api: Api, api_as: Any, example: Any, db_session: Any
) -> None:
    # A GP system (NHS Tayside) records the person...
    created = api.post(
        "/api/v1/clients",
        {
            "chi": CHI,
            "given_name": "Morag",
            "family_name": "McDonald",
            "date_of_birth": "1985-04-19",
            "postcode": "ph1 5ph",
        },
    )
    assert created.status_code == 201, created.get_json()
    client_id = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"/api/v1/clients/{client_id}")
    assert created.get_json()["postcode"] == "PH15PH"

    # ...submits a joint assessment with an idempotency key...
    key = str(uuid.uuid4())
    body = {
        "client_id": client_id,
        "questionnaire": "joint-assessment",
        "answers": example("carer-under-strain"),
        "status": "submitted",
    }
    first = api.post("/api/v1/assessments", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.get_json()
    assessment = first.get_json()
    assert first.headers["ETag"]
    assert first.headers["Location"].endswith(f"/api/v1/assessments/{assessment['id']}")
    decision = assessment["decision"]
    assert decision["ruleset"] == "joint-assessment@3"  # the latest published
    assert "carer-support" in [s["service"] for s in decision["services"]]

    # ...the network fails, so it retries: the same response, nothing new.
    retry = api.post("/api/v1/assessments", body, headers={"Idempotency-Key": key})
    assert retry.status_code == 201
    assert retry.get_json() == assessment
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["Location"] == first.headers["Location"]
    count = db_session.scalar(
        select(func.count())
        .select_from(Assessment)
        .where(Assessment.client_id == uuid.UUID(client_id))
    )
    assert count == 1

    # It reads the decision back...
    read = api.get(f"/api/v1/assessments/{assessment['id']}")
    assert read.status_code == 200
    assert read.get_json()["decision"] == decision
    assert read.headers["ETag"] == first.headers["ETag"]

    # ...and fetches the QuestionnaireResponse.
    fhir = api.get(f"/api/v1/assessments/{assessment['id']}/fhir")
    assert fhir.status_code == 200
    assert fhir.mimetype == "application/fhir+json"
    resource = fhir.get_json()
    assert resource["questionnaire"].endswith("/joint-assessment|3")  # the latest
    assert resource["subject"]["identifier"] == {"system": CHI_SYSTEM, "value": CHI}

    # The council (which runs carer support) sees the referral in its queue and accepts it.
    council = api_as("perth-kinross-council")
    queue = council.get("/api/v1/referrals?status=pending")
    assert queue.status_code == 200
    carer = [r for r in queue.get_json()["items"] if r["service"] == "carer-support"]
    assert len(carer) == 1 and carer[0]["assessment_id"] == assessment["id"]
    current = council.get(f"/api/v1/referrals/{carer[0]['id']}")
    accepted = council.patch(
        f"/api/v1/referrals/{carer[0]['id']}",
        {"status": "accepted"},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "accepted"
    assert accepted.get_json()["accepted_at"].endswith("Z")
    referral = db_session.get(Referral, uuid.UUID(carer[0]["id"]))
    db_session.refresh(referral)
    assert referral.status.value == "accepted"


@pytest.mark.parametrize(
    "name", ["carer-under-strain", "frail-older-person-living-alone", "falls-and-nursing-tasks"]
)
def test_the_submission_shows_what_reading_it_back_shows(
    api: Any, person: Any, example: Any, name: str
) -> None:
    """The response is built from what the handler made (its referrals are not read back):
    it says exactly what a GET of the assessment says, referrals in the same order."""
    made = api.post(
        "/api/v1/assessments",
        {
            "client_id": str(person.id),
            "questionnaire": "joint-assessment",
            "answers": example(name),
            "status": "submitted",
        },
    )
    assert made.status_code == 201, made.get_json()
    submitted = made.get_json()
    assert len(submitted["referrals"]) > 1
    read = api.get(f"/api/v1/assessments/{submitted['id']}")
    assert read.get_json() == submitted
    assert read.headers["ETag"] == made.headers["ETag"]
