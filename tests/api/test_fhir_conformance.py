"""Every Questionnaire of the conformance material (fhir-sdc and fhir-outside) imports through
the API, and nothing of it disappears silently: each source linkId is a question of the draft
(kept in ``x-fhir``) or is named in the import report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assessment_engine.kernel.actor import Actor
from assessment_engine.questionnaires.checks import DraftTexts
from assessment_engine.questionnaires.drafts import check_context, current_revision, save_draft
from assessment_engine.questionnaires.fhir import CHI_SYSTEM
from assessment_engine.questionnaires.services import find_version

from ..conformance_table import kept_ids, source_ids
from ..conftest import CONFORMANCE

ADMIN_SCOPES = [
    "questionnaires:read",
    "questionnaires:write",
    "assessments:write",
    "assessments:read",
]
FOLDERS = ("fhir-sdc", "fhir-outside")


def questionnaire_files() -> list[Path]:
    return [
        path
        for folder in FOLDERS
        for path in sorted((CONFORMANCE / folder).glob("*.json"))
        if json.loads(path.read_text("utf-8")).get("resourceType") == "Questionnaire"
    ]


def import_all(admin: Any) -> dict[str, dict[str, Any]]:
    """Each conformance Questionnaire imported: its file name to what the test compares."""
    results: dict[str, dict[str, Any]] = {}
    for path in questionnaire_files():
        source = json.loads(path.read_text("utf-8"))
        response = admin.post(
            "/api/v1/fhir/Questionnaire",
            data=path.read_bytes(),
            headers={"Content-Type": "application/fhir+json"},
        )
        body = response.get_json()
        kept: set[str] = set()
        if response.status_code == 201:
            document = admin.get(
                f"/api/v1/questionnaires/{body['key']}/versions/{body['version']}"
            ).get_json()["document"]
            kept = set(kept_ids(document))
        results[path.name] = {
            "status": response.status_code,
            "body": body,
            "source": set(source_ids(source.get("item", []))),
            "kept": kept,
            "reported": {e["linkId"] for e in body.get("report", []) if e["linkId"]},
        }
    return results


def test_every_conformance_questionnaire_imports_with_nothing_lost_silently(
    api_as: Any, questionnaires: Any
) -> None:
    admin = api_as("perth-kinross-council", ADMIN_SCOPES)
    results = import_all(admin)
    assert len(results) == 13
    for name, result in results.items():
        assert result["status"] == 201, (name, json.dumps(result["body"].get("errors")))
        missing = result["source"] - result["kept"] - result["reported"]
        assert not missing, (name, sorted(missing), result["body"]["report"])
        # Nothing is kept that was not in the source (the wrapper section has no linkId),
        # and every reported linkId is one of the source's.
        assert result["kept"] <= result["source"], name
        assert result["reported"] <= result["source"], name


def test_the_hl7_phq9_response_imports_against_the_imported_phq9_and_is_scored(
    app: Any, db_session: Any, factories: Any, api_as: Any, questionnaires: Any, person: Any
) -> None:
    admin = api_as("perth-kinross-council", ADMIN_SCOPES)
    source = json.loads(
        (CONFORMANCE / "fhir-sdc" / "questionnaire-sdc-profile-example-PHQ9.json").read_text()
    )
    body = admin.post("/api/v1/fhir/Questionnaire", source).get_json()
    key, number = body["key"], body["version"]
    report = {e["linkId"]: e["message"] for e in body["report"] if e["linkId"]}
    assert "weighted-sum rule" in report["H1/TS"]
    publish = f"/api/v1/questionnaires/{key}/versions/{number}/publish"
    # Scores but no test cases: not publishable (as bundled versions must have cases).
    refused = admin.post(publish)
    assert refused.status_code == 422
    assert "test case" in json.dumps(refused.get_json())

    draft = find_version(db_session, key, number, drafts=True)
    assert draft is not None
    assert draft.rules["rules"][0]["items"] == [f"/t1/q{n}" for n in range(1, 10)]
    given = {"t1": {f"q{n}": "Nearly every day" for n in range(1, 10)}}
    cases = {
        "cases": [{"name": "all nine at 3", "given": given, "expect": {"scores": {"total": 27}}}]
    }
    texts = DraftTexts(json.dumps(draft.document), json.dumps(draft.rules), json.dumps(cases))
    context = check_context(db_session, app.extensions["assessment_versions"])
    actor = Actor.for_user(factories.user("administrator"))
    revision = current_revision(db_session, draft)
    saved = save_draft(db_session, actor, context, draft, texts, expected_revision=revision)
    assert not saved.problems, saved.problems
    assert admin.post(publish).status_code == 200

    response = json.loads(
        (CONFORMANCE / "fhir-sdc" / "questionnaireresponse-sdc-example-PHQ9.json").read_text()
    )
    response["questionnaire"] = f"{source['url']}|{source['version']}"
    response["subject"] = {"identifier": {"system": CHI_SYSTEM, "value": person.chi}}
    imported = admin.post("/api/v1/fhir/QuestionnaireResponse", response)
    assert imported.status_code == 201, imported.get_json()
    result = imported.get_json()
    assert result["questionnaire"] == key and result["version"] == number
    # 1+0+0+1+2+1+3+2+1: the response's own total (13) disagrees, and says so.
    assert result["decision"]["scores"]["total"] == 11
    stated = result["stated_totals"]["total"]
    assert (stated["stated"], stated["computed"], stated["agrees"]) == (13, 11, False)
    flag = f"The response stated a {stated['title']} of 13; the rules computed 11"
    assert stated["message"] == flag and "total" in stated["title"].lower()
    assert result["warnings"] == [{"pointer": "/scores/total", "message": flag}]
    messages = {e["linkId"]: e["message"] for e in result["report"]}
    assert messages["H1/TS"] == flag
    # Stored: the assessment, read again, carries both.
    again = admin.get(f"/api/v1/assessments/{result['id']}").get_json()
    assert again["stated_totals"] == result["stated_totals"]
    # "Several days" is not a code of the value set ("Several-days"): mapped, and said.
    assert "mapped to 'Several-days'" in messages["H1/T1/Q1"]
    assert "H1/T1/Q3" in messages and "H1/T1/Q7" not in messages  # exact codes need no note
