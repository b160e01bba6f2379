"""The JSON Schema of a rules file, built from the registered kinds' configuration schemas.

``form_schemas/_meta/rules.schema.json`` is this schema for the built-in kinds (editors use it
for completion and checking; a test keeps the file in step with the code). The compiler does not
need it: it validates each rule against its kind's schema directly, so plugin kinds work too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .kind import RuleKind

ENVELOPE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
    "kind": {"type": "string"},
    "title": {"type": "string"},
    "description": {"type": "string"},
}


def rules_file_schema(kinds: Iterable[type[RuleKind]]) -> dict[str, Any]:
    """A draft 2020-12 schema for a rules file whose rules use ``kinds`` (others pass through)."""
    definitions: dict[str, Any] = {}
    branches = []
    for kind in sorted(kinds, key=lambda k: k.name):
        schema = dict(kind.schema)
        schema["properties"] = {**ENVELOPE_PROPERTIES, **schema.get("properties", {})}
        schema["required"] = ["id", "kind", *schema.get("required", [])]
        definitions[kind.name] = schema
        branches.append(
            {
                "if": {"properties": {"kind": {"const": kind.name}}, "required": ["kind"]},
                "then": {"$ref": f"#/$defs/{kind.name}"},
            }
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://shared-assessment.example/form_schemas/_meta/rules.schema.json",
        "title": "Scoring and routing rules of a questionnaire version",
        "description": "See assessment_engine/scoring/compiler.py for the format and semantics.",
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "properties": {
            "$schema": {"type": "string"},
            "description": {"type": "string"},
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "kind"],
                    "properties": ENVELOPE_PROPERTIES,
                    "allOf": branches,
                },
            },
        },
        "$defs": definitions,
    }
