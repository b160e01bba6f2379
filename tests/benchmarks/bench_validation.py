"""Validation of answers documents in process: jsonschema against jsonschema-rs, same verdicts.

1. Verdicts: every bundled questionnaire's examples and test-case answers, and thousands of
   variants of them (each answer deleted, or replaced by a wrong type, an out-of-range number,
   an impossible date, an unknown key), are validated by both libraries; any disagreement
   fails the script, because the application trusts jsonschema-rs's "valid" verdict.
2. Speed: microseconds per joint-assessment answers document for the application's validator
   (``CompiledQuestionnaire.validate``, jsonschema-rs first) against plain jsonschema
   (the reference, what it cost before), measured side by side.

Run: ``.venv/bin/python tests/benchmarks/bench_validation.py [--seconds 2] [--json]``
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from report import ROOT, Row, emit

FORM_SCHEMAS = ROOT / "form_schemas"
#: Values swapped in for an answer, to make variants that are (mostly) invalid.
WRONG_VALUES: tuple[Any, ...] = (
    "not an option",
    -1,
    10**9,
    2.5,
    None,
    True,
    [],
    {},
    "2025-02-30",
    "1900-01-01",
    "",
)


def answer_documents(key: str) -> list[dict[str, Any]]:
    """The bundled examples and every test case's answers of one questionnaire."""
    folder = FORM_SCHEMAS / key
    documents = [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("examples/*.json"))]
    cases_file = folder / "v1.cases.json"
    if cases_file.exists():
        cases = json.loads(cases_file.read_text("utf-8"))
        documents.extend(case["given"] for case in cases.get("cases", []))
    return [d for d in documents if isinstance(d, dict)]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key)
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*path, index)
            yield from _leaves(child, (*path, index))


def variants(document: dict[str, Any]) -> Iterator[Any]:
    """The document itself, then one changed answer at a time."""
    yield document
    for path in _leaves(document):
        parent_path, last = path[:-1], path[-1]
        for replacement in (*WRONG_VALUES, _DELETE, _EXTRA):
            changed = copy.deepcopy(document)
            parent = changed
            for step in parent_path:
                parent = parent[step]
            if replacement is _DELETE:
                del parent[last]
            elif replacement is _EXTRA:
                if not isinstance(parent, dict):
                    continue
                parent["not_a_question"] = 1
            else:
                parent[last] = replacement
            yield changed


_DELETE = object()
_EXTRA = object()


def check_verdicts() -> tuple[int, int, list[str]]:
    """(documents checked, of which valid, disagreements) over every bundled questionnaire."""
    from assessment_engine.questionnaires.catalogue import load_directory

    catalogue = load_directory(FORM_SCHEMAS)
    checked = valid = 0
    disagreements: list[str] = []
    for key, version in catalogue:
        compiled = catalogue.get(key, version)
        slow = compiled.validator._validator
        fast = compiled.validator._fast
        assert fast is not None, f"jsonschema-rs could not build {key} v{version}"
        examples = len(list((FORM_SCHEMAS / key).glob("examples/*.json")))
        for index, document in enumerate(answer_documents(key)):
            # Every variant of the examples; the test cases' answers as they are.
            for variant in variants(document) if index < examples else [document]:
                expected = next(slow.iter_errors(variant), None) is None
                checked += 1
                valid += expected
                if fast.is_valid(variant) != expected:
                    disagreements.append(f"{key} v{version}: {json.dumps(variant)[:200]}")
    return checked, valid, disagreements


def per_call_us(run: Callable[[Any], Any], documents: list[Any], seconds: float) -> float:
    """Microseconds per call of ``run``, round-robin over ``documents`` for about ``seconds``."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for document in documents:
            run(document)
        count += len(documents)
    return (time.perf_counter() - started) / count * 1e6


def measure(seconds: float) -> list[Row]:
    from assessment_engine.questionnaires.catalogue import load_directory

    checked, valid, disagreements = check_verdicts()
    catalogue = load_directory(FORM_SCHEMAS)
    compiled = catalogue.get("joint-assessment", 1)
    documents = [compiled.prune(d) for d in answer_documents("joint-assessment")]
    slow = compiled.validator._validator

    def with_jsonschema(document: Any) -> None:
        for _error in slow.iter_errors(document):
            pass

    def with_app(document: Any) -> None:
        compiled.validate(document, complete=True)

    for document in documents:  # warm up
        with_app(document)
        with_jsonschema(document)
    app_us = per_call_us(with_app, documents, seconds)
    reference_us = per_call_us(with_jsonschema, documents, seconds)
    return [
        Row(
            name="validate joint assessment (app)",
            value=app_us,
            unit="us/doc",
            reference_name="jsonschema alone",
            reference=reference_us,
            target="faster than jsonschema",
            met=app_us < reference_us,
            note=f"{len(documents)} documents round-robin",
        ),
        Row(
            name="jsonschema-rs verdicts = jsonschema",
            value=float(checked - len(disagreements)),
            unit="docs",
            reference_name="checked",
            reference=float(checked),
            target="all identical",
            met=not disagreements,
            note=f"{valid} valid, {checked - valid} invalid",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print rows for run.py")
    args = parser.parse_args()
    rows = measure(args.seconds)
    emit(rows, args.json)
    return 0 if all(row.met is not False for row in rows[1:]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
