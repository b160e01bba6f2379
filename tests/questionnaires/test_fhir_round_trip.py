"""Export then import of every bundled questionnaire version gives the same decisions on all
its test cases and examples (the rules travel in our own extension, option value types and
calculated values too), and keeps every question at the same answer pointer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from assessment_engine.questionnaires.catalogue import Catalogue
from assessment_engine.questionnaires.fhir import import_questionnaire, questionnaire_resource
from assessment_engine.questionnaires.runtime import prepare, registry_of
from assessment_engine.scoring.services import service_catalogue

FORM_SCHEMAS = Path(__file__).resolve().parents[2] / "form_schemas"
BUNDLED = [(key, n) for key in ("gad-7", "joint-assessment", "phq-9") for n in (1, 2)]


def _read(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _decision(prepared: Any, answers: Any) -> dict[str, Any]:
    found: dict[str, Any] = prepared.ruleset.evaluate(answers).to_dict()
    found.pop("ruleset", None)
    return found


@pytest.mark.parametrize(("key", "version"), BUNDLED)
def test_export_then_import_decides_the_same(
    app: Flask, catalogue: Catalogue, key: str, version: int
) -> None:
    cache = app.extensions["assessment_versions"]
    services = service_catalogue(_read(FORM_SCHEMAS / "services.json"))
    rules = _read(FORM_SCHEMAS / key / f"v{version}.rules.json")
    cases = _read(FORM_SCHEMAS / key / f"v{version}.cases.json")["cases"]
    examples = [_read(path) for path in sorted((FORM_SCHEMAS / key / "examples").glob("*.json"))]
    original = catalogue.get(key, version)
    resource = questionnaire_resource(
        key=key, version=version, status="published", structure=original.structure, rules=rules
    )
    imported = import_questionnaire(json.loads(json.dumps(resource)), key=key, version=version)
    assert imported.document is not None, imported.notes
    assert imported.rules == rules

    def prepared(document: Any, registry: Any) -> Any:
        return prepare(
            key=key,
            version=version,
            document=document,
            rules=rules,
            test_cases=None,
            extensions=cache.extensions,
            registry=registry,
            rule_registry=cache.rule_registry,
            services=services,
        )

    before = prepared(_read(FORM_SCHEMAS / key / f"v{version}.json"), catalogue.registry)
    after = prepared(imported.document, registry_of([imported.document]))
    assert list(after.questionnaire.structure.questions) == list(original.structure.questions)
    answer_sets = [case["given"] for case in cases] + examples
    assert len(answer_sets) >= 3
    for answers in answer_sets:
        assert _decision(after, answers) == _decision(before, answers)
