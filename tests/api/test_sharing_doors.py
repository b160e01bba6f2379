"""The person's sharing views at every API door: a partner the person declined gets the
identity level (200 with ``restricted: true``) on GET /clients/{id} and ?chi=, 404 on every
content route and write, and nothing is written; the audit says what was shown."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from assessment_engine.assessments.models import Assessment
from assessment_engine.records.models import AuditEvent

from ..records import builders

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"
IDENTITY = {
    "id",
    "chi",
    "given_name",
    "family_name",
    "date_of_birth",
    "organisation",
    "restricted",
    "contact",
}


@pytest.fixture
def scene(api_as: Any, questionnaires: Any, factories: Any, db_session: Any, example: Any) -> Any:
    """The council's person with a submitted assessment and a draft, made through the API;
    then the person declines sharing with NHS Tayside (recorded by the council)."""
    person = factories.client(
        org=COUNCIL, postcode="PH1 5PH", address="1 High Street", gp_practice="Tay Surgery"
    )
    council = api_as(COUNCIL)
    made = {}
    for status, answers in (
        ("submitted", example("carer-under-strain")),
        ("draft", {"about": example("carer-under-strain")["about"]}),
    ):
        response = council.post(
            "/api/v1/assessments",
            {
                "client_id": str(person.id),
                "questionnaire": "joint-assessment",
                "answers": answers,
                "status": status,
            },
        )
        assert response.status_code == 201, response.get_json()
        made[status] = response.get_json()
    fhir = council.get(f"/api/v1/assessments/{made['submitted']['id']}/fhir").get_json()
    recorder = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    builders.decline_sharing(db_session, person, recorder, factories.organisation(NHS))
    return {"person": person, "made": made, "fhir": fhir}


def _count(db_session: Any, model: Any) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_a_declined_partner_gets_the_identity_and_the_audit_says_so(
    api_as: Any, scene: Any, db_session: Any
) -> None:
    person = scene["person"]
    nhs = api_as(NHS)
    response = nhs.get(f"/api/v1/clients/{person.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == IDENTITY
    assert body["restricted"] is True and body["contact"] == COUNCIL
    assert body["chi"] == person.chi and body["family_name"] == person.family_name
    text = response.get_data(as_text=True)
    for secret in (
        person.postcode,
        "1 High Street",
        "Tay Surgery",
        scene["made"]["submitted"]["id"],
    ):
        assert secret not in text
    event = db_session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "client.view", AuditEvent.actor.like("api:%"))
        .order_by(AuditEvent.id.desc())
    )
    assert event.detail == {"shown": "identity", "restricted": True}

    found = nhs.get(f"/api/v1/clients?chi={person.chi}")
    assert found.status_code == 200
    (item,) = found.get_json()["items"]
    assert set(item) == IDENTITY and item["restricted"] is True
    assert person.postcode not in found.get_data(as_text=True)


def test_a_partner_the_record_is_shared_with_gets_everything(api_as: Any, scene: Any) -> None:
    person = scene["person"]
    body = api_as("community-link").get(f"/api/v1/clients/{person.id}").get_json()
    assert body["restricted"] is False and body["contact"] is None
    assert body["postcode"] == person.postcode and body["timeline"]


def test_every_content_route_and_write_is_404_and_writes_nothing(
    api_as: Any, scene: Any, db_session: Any, example: Any
) -> None:
    person, made = scene["person"], scene["made"]
    nhs = api_as(NHS)
    before = _count(db_session, Assessment)
    submitted, draft = made["submitted"]["id"], made["draft"]["id"]
    probes = [
        nhs.get(f"/api/v1/assessments/{submitted}"),
        nhs.get(f"/api/v1/assessments/{submitted}/fhir"),
        nhs.get(f"/api/v1/assessments/{draft}"),
        nhs.post(
            "/api/v1/assessments",
            {
                "client_id": str(person.id),
                "questionnaire": "joint-assessment",
                "answers": example("carer-under-strain"),
                "status": "submitted",
            },
        ),
        nhs.post("/api/v1/fhir/QuestionnaireResponse", scene["fhir"]),
        nhs.patch(
            f"/api/v1/assessments/{draft}",
            {"status": "submitted"},
            headers={"If-Match": "*"},
        ),
        nhs.post(f"/api/v1/assessments/{submitted}/amendments", {"status": "draft"}),
    ]
    for response in probes:
        assert response.status_code == 404, (response.request.path, response.get_json())
        text = response.get_data(as_text=True)
        assert person.family_name not in text and person.postcode not in text
    assert _count(db_session, Assessment) == before


def test_a_draft_belongs_to_its_organisation(api_as: Any, scene: Any, db_session: Any) -> None:
    """Community Link may read the council's draft (the record is shared) but not change it."""
    draft = scene["made"]["draft"]
    link = api_as("community-link")
    read = link.get(f"/api/v1/assessments/{draft['id']}")
    assert read.status_code == 200
    etag = read.headers["ETag"]
    changed = link.patch(
        f"/api/v1/assessments/{draft['id']}",
        {"answers": {}},
        headers={"If-Match": etag},
    )
    assert changed.status_code == 403
    assert "another organisation" in changed.get_json()["detail"]
    assert link.get(f"/api/v1/assessments/{draft['id']}").get_json()["answers"] == draft["answers"]
    own = api_as(COUNCIL).patch(
        f"/api/v1/assessments/{draft['id']}",
        {"answers": draft["answers"]},
        headers={"If-Match": etag},
    )
    assert own.status_code == 200, own.get_json()
