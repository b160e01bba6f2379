"""A total the sender states is stored and returned beside the computed one, and a
disagreement is a warning (never a refusal, never dropped): JSON submission, draft then
submit, FHIR import of our own PHQ-9, the score endpoint, and the assessor's outcome page."""

from __future__ import annotations

from typing import Any

from assessment_engine.questionnaires.fhir import CHI_SYSTEM

from .conftest import Api

SCOPES = ["questionnaires:read", "assessments:read", "assessments:write"]
#: Eight items at 1, item 9 at 0: the rules compute 8.
ITEMS = {**{f"item{n}": 1 for n in range(1, 9)}, "item9": 0}
FLAG = "The response stated a PHQ-9 total score of 27; the rules computed 8"


def _submit(api: Api, person: Any, total: Any, status: str = "submitted") -> dict[str, Any]:
    body = {
        "client_id": str(person.id),
        "questionnaire": "phq-9",
        "answers": {"phq9": {**ITEMS, "total": total}},
        "status": status,
    }
    response = api.post("/api/v1/assessments", body)
    assert response.status_code == 201, response.get_json()
    found: dict[str, Any] = response.get_json()
    return found


def test_a_submitted_total_is_stored_beside_the_computed_one_and_flagged(
    api_as: Any, questionnaires: Any, person: Any, client: Any, login_as: Any
) -> None:
    api = api_as("nhs-tayside", SCOPES)
    made = _submit(api, person, 27)
    assert made["decision"]["scores"]["phq9_total"] == 8  # the computed total decides
    stated = made["stated_totals"]["/phq9/total"]
    assert (stated["stated"], stated["computed"], stated["agrees"]) == (27, 8, False)
    assert stated["message"] == FLAG and stated["title"] == "PHQ-9 total score"
    assert made["warnings"] == [{"pointer": "/phq9/total", "message": FLAG}]
    assert "total" not in made["answers"]["phq9"]  # answers stay what was answered
    again = api.get(f"/api/v1/assessments/{made['id']}").get_json()
    assert again["stated_totals"] == made["stated_totals"] and again["warnings"]

    agreeing = _submit(api, person, 8)
    assert agreeing["stated_totals"]["/phq9/total"]["agrees"] is True
    assert agreeing["warnings"] == []

    # A draft keeps what was stated (nothing computed while answers are missing)...
    draft_body = {
        "client_id": str(person.id),
        "questionnaire": "phq-9",
        "answers": {"phq9": {"item1": 1, "total": 27}},
        "status": "draft",
    }
    draft = api.post("/api/v1/assessments", draft_body).get_json()
    entry = draft["stated_totals"]["/phq9/total"]
    assert (entry["stated"], entry["computed"]) == (27, None)
    assert "missing" in entry["message"]
    # ...and submitting it with every answer reconciles it.
    etag = api.get(f"/api/v1/assessments/{draft['id']}").headers["ETag"]
    patched = api.patch(
        f"/api/v1/assessments/{draft['id']}",
        {"answers": {"phq9": ITEMS}, "status": "submitted"},
        headers={"If-Match": etag},
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["warnings"] == [{"pointer": "/phq9/total", "message": FLAG}]

    # The assessor sees the flag with the decision.
    login_as("assessor", org="nhs-tayside")
    page = client.get(f"/assessments/{made['id']}/outcome").get_data(as_text=True)
    assert FLAG in page
    printed = client.get(f"/assessments/{made['id']}/print?copy=file").get_data(as_text=True)
    assert FLAG in printed
    quiet = client.get(f"/assessments/{agreeing['id']}/outcome").get_data(as_text=True)
    assert "The response stated" not in quiet


def test_a_fhir_response_to_our_phq9_keeps_its_stated_total(
    api_as: Any, questionnaires: Any, person: Any
) -> None:
    api = api_as("nhs-tayside", SCOPES)
    made = _submit(api, person, 8)
    resource = api.get(f"/api/v1/assessments/{made['id']}/fhir").get_json()
    assert resource["subject"]["identifier"] == {"system": CHI_SYSTEM, "value": person.chi}
    section = resource["item"][0]
    section["item"] = [i for i in section["item"] if i["linkId"] != "/phq9/total"] + [
        {"linkId": "/phq9/total", "answer": [{"valueInteger": 27}]}
    ]
    imported = api.post("/api/v1/fhir/QuestionnaireResponse", resource)
    assert imported.status_code == 201, imported.get_json()
    body = imported.get_json()
    assert body["decision"]["scores"]["phq9_total"] == 8
    assert body["stated_totals"]["/phq9/total"]["stated"] == 27
    assert {"linkId": "/phq9/total", "message": FLAG} in body["report"]
    assert body["warnings"] == [{"pointer": "/phq9/total", "message": FLAG}]


def test_the_score_endpoint_returns_a_stated_total_beside_its_own(
    api: Api, questionnaires: Any
) -> None:
    response = api.post(
        "/api/v1/questionnaires/phq-9/score", {"answers": {"phq9": {**ITEMS, "total": 27}}}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["decision"]["scores"]["phq9_total"] == 8
    assert body["stated_totals"]["/phq9/total"]["computed"] == 8
    assert body["warnings"] == [{"pointer": "/phq9/total", "message": FLAG}]
    plain = api.post("/api/v1/questionnaires/phq-9/score", {"answers": {"phq9": ITEMS}})
    assert plain.get_json()["stated_totals"] == {} and plain.get_json()["warnings"] == []
