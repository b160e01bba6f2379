"""Decisions per second for the joint assessment's full ruleset, and the cost of compiling it.

Run: ``.venv/bin/python tests/benchmarks/bench_scoring.py [--seconds 3]``

Answer sets are realistic: the bundled example assessments plus every ``given`` of the joint
assessment's cases (independent people, falls, nursing, personal care, carers, loneliness,
self-harm ...), evaluated round-robin in one process on one core. Target: 20,000 decisions/s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the script is run by path, not as an installed module

from report import Row, emit  # noqa: E402

from assessment_engine.scoring.compiler import CompiledRuleset, compile_ruleset  # noqa: E402
from assessment_engine.scoring.kinds import BUILTIN_KINDS  # noqa: E402
from assessment_engine.scoring.registry import RuleRegistry  # noqa: E402
from assessment_engine.scoring.schema_items import (  # noqa: E402
    directory_loader,
    items_from_schema,
)
from assessment_engine.scoring.services import service_catalogue  # noqa: E402

FORM_SCHEMAS = ROOT / "form_schemas"
TARGET = 20_000


def answer_sets() -> list[dict[str, Any]]:
    examples = sorted((FORM_SCHEMAS / "joint-assessment" / "examples").glob("*.json"))
    sets = [json.loads(path.read_text(encoding="utf-8")) for path in examples]
    cases = json.loads((FORM_SCHEMAS / "joint-assessment" / "v1.cases.json").read_text())
    sets.extend(case["given"] for case in cases["cases"])
    return sets


def rate(run: Any, answers: list[dict[str, Any]], seconds: float) -> tuple[float, int]:
    """Calls per second of ``run`` over the answer sets, round-robin, for about ``seconds``."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for given in answers:
            run(given)
        count += len(answers)
    return count / (time.perf_counter() - started), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print rows for run.py")
    args = parser.parse_args()

    document = json.loads((FORM_SCHEMAS / "joint-assessment" / "v1.json").read_text())
    rules = json.loads((FORM_SCHEMAS / "joint-assessment" / "v1.rules.json").read_text())
    services = service_catalogue(json.loads((FORM_SCHEMAS / "services.json").read_text()))
    registry = RuleRegistry.from_kinds(BUILTIN_KINDS)
    items = items_from_schema(document, directory_loader(FORM_SCHEMAS))

    compiled: CompiledRuleset | None = None
    rounds = 50
    started = time.perf_counter()
    for _ in range(rounds):
        compiled = compile_ruleset(
            rules, items, registry, name="joint-assessment@1", services=services
        )
    compile_ms = (time.perf_counter() - started) / rounds * 1000
    assert compiled is not None
    answers = answer_sets()

    for given in answers:  # warm up, and check every set really decides
        assert compiled.evaluate(given).to_dict()["route"]

    evaluate_rate, evaluated = rate(compiled.evaluate, answers, args.seconds)
    full_rate, _ = rate(lambda given: compiled.evaluate(given).to_dict(), answers, args.seconds)
    # The reference: a JSON round trip of the same answers, the least any API call does with them.
    floor_rate, _ = rate(lambda given: json.loads(json.dumps(given)), answers, args.seconds)
    rows = [
        Row(
            name="decisions (evaluate)",
            value=evaluate_rate,
            unit="/s",
            reference_name="JSON round trip of the answers",
            reference=floor_rate,
            target=f">= {TARGET:,} /s",
            met=evaluate_rate >= TARGET,
        ),
        Row(
            name="decisions + to_dict (with trace)",
            value=full_rate,
            unit="/s",
            reference_name="JSON round trip of the answers",
            reference=floor_rate,
        ),
    ]
    if args.json:
        emit(rows, as_json=True)
        return 0

    print(f"ruleset: joint-assessment@1, {len(compiled.rules)} rules, {len(items)} items")
    print(f"answer sets: {len(answers)} (examples and cases), round-robin")
    print(f"compile: {compile_ms:.2f} ms per compile (mean of {rounds})")
    print(f"evaluate: {evaluate_rate:,.0f} decisions/s ({evaluated:,} decisions)")
    print(f"evaluate + to_dict (with every trace sentence): {full_rate:,.0f} decisions/s")
    verdict = "meets" if evaluate_rate >= TARGET else "BELOW"
    print(f"target {TARGET:,} decisions/s on one core: {verdict}")
    return 0 if evaluate_rate >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
