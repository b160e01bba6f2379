"""The table of FHIR import results per conformance file, for notes and reviews:
``.venv/bin/python -m tests.conformance_table`` (the pure importer; the API test
``tests/api/test_fhir_conformance.py`` checks the same through the door)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assessment_engine.questionnaires.fhir import import_questionnaire, key_for

ROOT = Path(__file__).resolve().parent / "data" / "conformance"


def source_ids(items: list[Any]) -> Iterator[str]:
    for item in items:
        if isinstance(item.get("linkId"), str):
            yield item["linkId"]
        yield from source_ids(item.get("item", []))


def kept_ids(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        kept = schema.get("x-fhir")
        if isinstance(kept, dict) and "linkId" in kept:
            yield kept["linkId"]
        for value in schema.values():
            yield from kept_ids(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from kept_ids(value)


def rows() -> Iterator[str]:
    yield "| file | linkIds | kept as questions | reported, not kept | lost | report | rules |"
    yield "| --- | --- | --- | --- | --- | --- | --- |"
    for path in sorted(ROOT.glob("fhir-*/*.json")):
        name = f"{path.parent.name}/{path.name}"
        resource = json.loads(path.read_text("utf-8"))
        if resource.get("resourceType") != "Questionnaire":
            kind = resource.get("resourceType")
            yield f"| {name} | {kind}: refused as a Questionnaire | | | | | |"
            continue
        result = import_questionnaire(resource, key=key_for(resource), version=1)
        source = set(source_ids(resource.get("item", [])))
        kept = set(kept_ids(result.document or {})) & source
        reported = {note.link_id for note in result.notes if note.link_id}
        rules = [
            r["id"] for r in (result.rules or {}).get("rules", []) if r["kind"] == "weighted_sum"
        ]
        yield (
            f"| {name} | {len(source)} | {len(kept)} | {len(source - kept)} | "
            f"{len(source - kept - reported)} | {len(result.notes)} | {', '.join(rules) or '-'} |"
        )


if __name__ == "__main__":
    print("\n".join(rows()))
