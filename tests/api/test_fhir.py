"""FHIR R4: export validated against the R4 model, import, round trip, and the SDC
conformance files (each imports, or is refused with a precise report by linkId)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)

from assessment_engine.questionnaires.fhir import CHI_SYSTEM, ORDINAL_VALUE

from .conftest import Api

ADMIN_SCOPES = ["questionnaires:read", "questionnaires:write", "assessments:write"]


def _submit(api: Api, person: Any, answers: Any, status: str = "submitted") -> dict[str, Any]:
    response = api.post(
        "/api/v1/assessments",
        {
            "client_id": str(person.id),
            "questionnaire": "joint-assessment",
            "answers": answers,
            "status": status,
        },
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("key", ["phq-9", "gad-7", "joint-assessment"])
def test_exported_questionnaires_are_valid_fhir_r4(api: Api, key: str) -> None:
    response = api.get(f"/api/v1/questionnaires/{key}/versions/1/fhir")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    resource = response.get_json()
    FhirQuestionnaire.model_validate(resource)
    assert resource["url"].endswith(f"/{key}") and resource["version"] == "1"
    assert resource["status"] == "active"


def test_the_phq9_export_carries_scores_and_pointer_link_ids(api: Api) -> None:
    resource = api.get("/api/v1/questionnaires/phq-9/versions/1/fhir").get_json()
    section = resource["item"][0]
    assert section["linkId"] == "/phq9" and section["type"] == "group"
    item9 = next(i for i in section["item"] if i["linkId"] == "/phq9/item9")
    assert item9["type"] == "choice" and item9["required"] is True
    scores = [o["extension"][0] for o in item9["answerOption"]]
    assert all(s["url"] == ORDINAL_VALUE for s in scores)
    assert [s["valueDecimal"] for s in scores] == [0, 1, 2, 3]
    total = next(i for i in section["item"] if i["linkId"] == "/phq9/total")
    assert total["readOnly"] is True


def test_the_joint_export_has_repeating_groups_and_enable_when(api: Api) -> None:
    resource = api.get("/api/v1/questionnaires/joint-assessment/versions/1/fhir").get_json()

    def walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = []
        for item in items:
            found.append(item)
            found += walk(item.get("item", []))
        return found

    items = {item["linkId"]: item for item in walk(resource["item"])}
    medicines = items["/health/medicines"]
    assert medicines["repeats"] is True and medicines["type"] == "group"
    assert "/health/medicines/*/name" in items
    conditional = [item for item in items.values() if "enableWhen" in item]
    assert conditional, "conditions expressible in FHIR should be exported"
    for item in conditional:
        for when in item["enableWhen"]:
            assert when["question"] in items


def test_a_questionnaire_response_round_trips(
    api_as: Any, questionnaires: Any, person: Any, example: Any
) -> None:
    api = api_as("nhs-tayside", [*ADMIN_SCOPES, "assessments:read"])
    for name in (
        "carer-under-strain",
        "depression-with-self-harm-thoughts",
        "falls-and-nursing-tasks",
    ):
        first = _submit(api, person, example(name))
        resource = api.get(f"/api/v1/assessments/{first['id']}/fhir").get_json()
        FhirQuestionnaireResponse.model_validate(resource)
        assert resource["subject"]["identifier"] == {"system": CHI_SYSTEM, "value": person.chi}
        assert resource["status"] == "completed"

        imported = api.post(
            "/api/v1/fhir/QuestionnaireResponse",
            data=json.dumps(resource),
            headers={"Content-Type": "application/fhir+json"},
        )
        assert imported.status_code == 201, imported.get_json()
        again = imported.get_json()
        assert again["id"] != first["id"]
        assert again["answers"] == first["answers"]
        assert again["decision"] == first["decision"]


def test_a_draft_response_imports_as_a_draft(
    api_as: Any, questionnaires: Any, person: Any, example: Any
) -> None:
    api = api_as("nhs-tayside", [*ADMIN_SCOPES, "assessments:read"])
    draft = _submit(api, person, {"about": example("carer-under-strain")["about"]}, "draft")
    resource = api.get(f"/api/v1/assessments/{draft['id']}/fhir").get_json()
    assert resource["status"] == "in-progress"
    imported = api.post("/api/v1/fhir/QuestionnaireResponse", resource)
    assert imported.status_code == 201, imported.get_data(as_text=True)
    assert imported.get_json()["status"] == "draft"


def test_a_response_that_does_not_fit_is_refused_by_link_id(
    api_as: Any, questionnaires: Any, person: Any, example: Any
) -> None:
    api = api_as("nhs-tayside", [*ADMIN_SCOPES, "assessments:read"])
    first = _submit(api, person, example("carer-under-strain"))
    resource = api.get(f"/api/v1/assessments/{first['id']}/fhir").get_json()
    mood = next(i for i in resource["item"] if i["linkId"] == "/mood")
    phq9 = next(i for i in mood["item"] if i["linkId"] == "/mood/phq9")
    phq9["item"][0]["answer"] = [{"valueCoding": {"code": "often"}}]
    phq9["item"].append({"linkId": "/mood/phq9/item10", "answer": [{"valueInteger": 1}]})
    refused = api.post("/api/v1/fhir/QuestionnaireResponse", resource)
    assert refused.status_code == 422
    report = {entry["linkId"]: entry["message"] for entry in refused.get_json()["report"]}
    assert "'often' is not one of" in report["/mood/phq9/item1"]
    assert "/mood/phq9/item10" in report


def test_a_questionnaire_export_imports_as_a_new_draft_with_its_rules(
    api_as: Any, questionnaires: Any
) -> None:
    admin = api_as("perth-kinross-council", ADMIN_SCOPES)
    resource = admin.get("/api/v1/questionnaires/phq-9/versions/1/fhir").get_json()
    imported = admin.post("/api/v1/fhir/Questionnaire", resource)
    assert imported.status_code == 201, imported.get_json()
    body = imported.get_json()
    assert (
        body["key"] == "phq-9" and body["version"] == 3
    )  # after the bundled 1 and 2 and body["status"] == "draft"
    draft = admin.get(imported.headers["Location"]).get_json()
    item9 = draft["document"]["properties"]["phq9"]["properties"]["item9"]
    assert [o["x-score"] for o in item9["oneOf"]] == [0, 1, 2, 3]
    # One draft per questionnaire at a time, as in the administrators' editor.
    again = admin.post("/api/v1/fhir/Questionnaire", resource)
    assert again.status_code == 409 and "already has a draft" in again.get_json()["detail"]

    partner = api_as("nhs-tayside")
    assert partner.get("/api/v1/questionnaires/phq-9/versions/3").status_code == 404  # a draft
    # The rules came back with it (our own extension), but test cases do not travel: a version
    # with rules publishes only once it has cases (tests/api/test_fhir_conformance.py adds some).
    refused = admin.post("/api/v1/questionnaires/phq-9/versions/3/publish")
    assert refused.status_code == 422
    assert "needs at least one test case" in json.dumps(refused.get_json())
    assert partner.get("/api/v1/questionnaires/phq-9").get_json()["version"] == 2


# ---------------------------------------------------------------------- the conformance files


def _load(folder: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / name).read_text("utf-8"))
    return data


EXPECTED_QUESTIONNAIRES = {
    "questionnaire-sdc-profile-example-PHQ9.json": {"H1/TS"},
    "questionnaire-sdc-test-all-data-types.json": {
        "id-datetime",
        "id-time",
        "id-attachment",
        "id-choice",
        "440f8cc6-3ea2-40c2-b03a-d03187131fd3",
        "06aaa075-86e4-4cf2-a1ef-a86ab10e86e9",
        "EF8E3936-3246-4B3E-A46C-9FDAA5ACB635",
    },
    "questionnaire-sdc-test-enablewhen.json": {
        "1acf93a7-0890-44cd-be48-542defb35248",
        "945b97b5-6d74-4a55-9be1-1989751219fb",
        "fab7c5c4-0ac0-4afa-bd6d-c0ce4f5e0bdf",
        "945b97b5-6d74-4a55-9be1-19897512jj89",
        "04fabc33-534a-4047-9a13-c13b0b63fa17",
        "datetime_question",
        "date_greater_2000-01-01",
        "date_less_2000-01-01",
        "datetime_question_greter_than",
        "datetime_question_less_than_equal",
    },
    "questionnaire-sdc-test-repeatable-nested-groups.json": {
        "34b78239-1df2-49c5-a1ab-8f5691c7ede0"
    },
}


def test_every_conformance_file_is_covered(conformance_dir: Path) -> None:
    names = {path.name for path in conformance_dir.glob("*.json")}
    handled = set(EXPECTED_QUESTIONNAIRES) | {
        "CodeSystem-CSPHQ9.json",
        "questionnaireresponse-sdc-example-PHQ9.json",
    }
    assert names == handled


@pytest.mark.parametrize("name", sorted(EXPECTED_QUESTIONNAIRES))
def test_conformance_questionnaires_import_with_a_report_by_link_id(
    api_as: Any, questionnaires: Any, conformance_dir: Path, name: str
) -> None:
    admin = api_as("perth-kinross-council", ADMIN_SCOPES)
    response = admin.post(
        "/api/v1/fhir/Questionnaire",
        data=(conformance_dir / name).read_bytes(),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    reported = {entry["linkId"] for entry in body["report"] if entry["linkId"]}
    assert EXPECTED_QUESTIONNAIRES[name] <= reported, body["report"]
    # What was imported is a valid draft, and exports again as valid FHIR.
    exported = admin.get(f"/api/v1/questionnaires/{body['key']}/versions/{body['version']}/fhir")
    assert exported.status_code == 200, exported.get_json()
    FhirQuestionnaire.model_validate(exported.get_json())


def test_the_sdc_phq9_keeps_its_scores(
    api_as: Any, questionnaires: Any, conformance_dir: Path
) -> None:
    admin = api_as("perth-kinross-council", ADMIN_SCOPES)
    body = admin.post(
        "/api/v1/fhir/Questionnaire",
        _load(conformance_dir, "questionnaire-sdc-profile-example-PHQ9.json"),
    ).get_json()
    document = admin.get(
        f"/api/v1/questionnaires/{body['key']}/versions/{body['version']}"
    ).get_json()["document"]
    group = next(iter(document["properties"].values()))
    q1 = group["properties"]["q1"]
    assert [(o["const"], o["x-score"]) for o in q1["oneOf"]] == [
        ("Not-at-all", 0),
        ("Several-days", 1),
        ("More than half the days", 2),
        ("Nearly every day", 3),
    ]
    report = {entry["linkId"]: entry["message"] for entry in body["report"] if entry["linkId"]}
    assert "weighted-sum rule" in report["H1/TS"]


def test_the_enable_when_scenarios_that_fit_become_conditions(
    api_as: Any, questionnaires: Any, conformance_dir: Path
) -> None:
    admin = api_as("perth-kinross-council", ADMIN_SCOPES)
    body = admin.post(
        "/api/v1/fhir/Questionnaire",
        _load(conformance_dir, "questionnaire-sdc-test-enablewhen.json"),
    ).get_json()
    exported = admin.get(
        f"/api/v1/questionnaires/{body['key']}/versions/{body['version']}/fhir"
    ).get_json()
    conditional = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "enableWhen" in item:
                conditional.append(item)
            walk(item.get("item", []))

    walk(exported["item"])
    # Boolean, coded, integer-coded, "all" of two and "!=" scenarios survive the round trip.
    assert len(conditional) >= 9


def test_a_code_system_is_refused_as_a_questionnaire(
    api_as: Any, questionnaires: Any, conformance_dir: Path
) -> None:
    admin = api_as("perth-kinross-council", ADMIN_SCOPES)
    response = admin.post(
        "/api/v1/fhir/Questionnaire", _load(conformance_dir, "CodeSystem-CSPHQ9.json")
    )
    assert response.status_code == 422
    assert response.get_json()["report"] == [
        {"linkId": None, "message": "resourceType must be Questionnaire"}
    ]


def test_the_sdc_phq9_response_is_refused_with_reasons(
    api_as: Any, questionnaires: Any, conformance_dir: Path
) -> None:
    api = api_as("nhs-tayside", ADMIN_SCOPES)
    response = api.post(
        "/api/v1/fhir/QuestionnaireResponse",
        _load(conformance_dir, "questionnaireresponse-sdc-example-PHQ9.json"),
    )
    assert response.status_code == 422
    messages = [entry["message"] for entry in response.get_json()["report"]]
    assert any(
        "Questionnaire/sdc-profile-example-PHQ9" in m and "url|version" in m for m in messages
    )
    assert any(CHI_SYSTEM in m for m in messages)
