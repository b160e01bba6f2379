"""Every Questionnaire of the conformance material (fhir-sdc and fhir-outside) imports through
the API, and nothing of it disappears silently: each source linkId is a question of the draft
(kept in ``x-fhir``) or is named in the import report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..conftest import CONFORMANCE

ADMIN_SCOPES = ["questionnaires:read", "questionnaires:write", "assessments:write"]
FOLDERS = ("fhir-sdc", "fhir-outside")


def questionnaire_files() -> list[Path]:
    return [
        path
        for folder in FOLDERS
        for path in sorted((CONFORMANCE / folder).glob("*.json"))
        if json.loads(path.read_text("utf-8")).get("resourceType") == "Questionnaire"
    ]


def source_link_ids(items: list[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        if isinstance(item.get("linkId"), str):
            yield item["linkId"]
        yield from source_link_ids(item.get("item", []))


def kept_link_ids(schema: Any) -> Iterator[str]:
    """Every ``x-fhir`` linkId in a document."""
    if isinstance(schema, dict):
        kept = schema.get("x-fhir")
        if isinstance(kept, dict) and "linkId" in kept:
            yield kept["linkId"]
        for value in schema.values():
            yield from kept_link_ids(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from kept_link_ids(value)


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
            kept = set(kept_link_ids(document))
        results[path.name] = {
            "status": response.status_code,
            "body": body,
            "source": set(source_link_ids(source.get("item", []))),
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
        if result["status"] != 201:
            Path("/tmp/w19_err.json").write_text(json.dumps(result["body"], indent=1))
        assert result["status"] == 201, name
        missing = result["source"] - result["kept"] - result["reported"]
        assert not missing, (name, sorted(missing), result["body"]["report"])
        # Nothing is kept that was not in the source (the wrapper section has no linkId).
        assert result["kept"] <= result["source"], name
