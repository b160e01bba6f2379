"""The language-independent JsonLogic suite (json-logic-js tests.json): every case must pass."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from assessment_engine.scoring.jsonlogic import apply

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Cases we deliberately evaluate differently from json-logic-js, with the reason. None so far.
DEPARTURES: dict[int, str] = {}


def _suite_path() -> Path:
    return PROJECT_ROOT / "tests" / "data" / "conformance" / "json-logic" / "tests.json"


def _cases() -> list[Any]:
    entries = json.loads(_suite_path().read_text(encoding="utf-8"))
    cases = [entry for entry in entries if isinstance(entry, list)]
    return [pytest.param((i, *case), id=f"case{i}") for i, case in enumerate(cases)]


def same(actual: Any, expected: Any) -> bool:
    """JSON equality that tells booleans from numbers (Python has True == 1) but not 2 from 2.0."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return actual == expected or (math.isnan(actual) and math.isnan(expected))
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(map(same, actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            same(actual[k], expected[k]) for k in actual
        )
    return type(actual) is type(expected) and actual == expected


def test_suite_has_all_290_cases() -> None:
    path = _suite_path()
    assert len([e for e in json.loads(path.read_text()) if isinstance(e, list)]) == 290


@pytest.mark.parametrize("case", _cases())
def test_conformance(case: tuple[int, Any, Any, Any]) -> None:
    index, rule, data, expected = case
    if index in DEPARTURES:
        pytest.skip(DEPARTURES[index])
    assert same(apply(rule, data), expected), f"{json.dumps(rule)} on {json.dumps(data)}"


def test_same_tells_booleans_from_numbers() -> None:
    assert not same(True, 1)
    assert not same([1], [True])
    assert same(2.0, 2)
