"""conditions.js agrees with JSON Schema (and so with the server) on every kind of clause.

Runs the script's ``clauseHolds`` under Node when Node is installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

SCRIPT = (
    Path(__file__).resolve().parents[2] / "assessment_engine" / "static" / "src" / "conditions.js"
)

CASES: list[tuple[str, Any, Any]] = [
    ("const", True, True),
    ("const", True, False),
    ("const", True, 1),
    ("const", "other", "other"),
    ("const", 2, 2),
    ("enum", ["a", "b"], "b"),
    ("enum", ["a", "b"], "c"),
    ("minimum", 3, 3),
    ("minimum", 3, 2),
    ("minimum", 3, "text"),
    ("maximum", 3, 4),
    ("exclusiveMinimum", 3, 3),
    ("exclusiveMinimum", 3, 3.5),
    ("exclusiveMaximum", 3, 3),
    ("minItems", 2, ["a"]),
    ("minItems", 2, ["a", "b"]),
    ("minItems", 1, []),
    ("contains", {"const": "a"}, ["b", "a"]),
    ("contains", {"enum": ["x", "y"]}, ["a"]),
    ("contains", {"enum": ["x", "y"]}, []),
    ("contains", {"const": "a"}, "a"),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_clauses_hold_exactly_when_json_schema_says_so() -> None:
    program = (
        f"import {{ clauseHolds }} from {json.dumps(SCRIPT.as_uri())};\n"
        f"const cases = {json.dumps(CASES)};\n"
        "console.log(JSON.stringify(cases.map(([keyword, value, answer]) =>"
        " clauseHolds({ keyword, value }, answer))));\n"
    )
    result = subprocess.run(
        ["node", "--input-type=module", "-e", program],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    script = json.loads(result.stdout)
    expected = [
        Draft202012Validator({"properties": {"x": {keyword: value}}, "required": ["x"]}).is_valid(
            {"x": answer}
        )
        for keyword, value, answer in CASES
    ]
    assert script == expected
