"""Growth: render, validate and decide for synthetic questionnaires of 50, 200 and 1,000 questions.

Each synthetic questionnaire is generated here (nothing is committed): sections of ten
scored questions, alternately a choice of four (with ``x-score``) and a yes/no, with a
weighted sum and a condition rule per section. Every section page is rendered with the
application's form fields template; a complete answers document is validated and decided.
The cost of 1,000 questions must stay within 25 times the cost of 50 (it is 20 times the
questions). Run: ``.venv/bin/python tests/benchmarks/bench_growth.py [--json]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from report import ROOT, Row, emit

SIZES = (50, 200, 1000)
PER_SECTION = 10
LIMIT = 25.0
BASE = "https://shared-assessment.example/form_schemas/synthetic-{n}/v1.json"


def document(questions: int) -> dict[str, Any]:
    """A questionnaire of ``questions`` questions in sections of PER_SECTION."""
    sections: dict[str, Any] = {}
    for s in range(questions // PER_SECTION):
        properties: dict[str, Any] = {}
        for q in range(PER_SECTION):
            if q % 2 == 0:
                properties[f"q{q}"] = {
                    "type": "integer",
                    "title": f"Question {s}.{q}: how often?",
                    "oneOf": [
                        {"const": v, "title": label, "x-score": v}
                        for v, label in enumerate(("Never", "Sometimes", "Often", "Always"))
                    ],
                }
            else:
                properties[f"q{q}"] = {"type": "boolean", "title": f"Question {s}.{q}: yes or no?"}
        sections[f"s{s}"] = {
            "type": "object",
            "title": f"Section {s}",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE.format(n=questions),
        "title": f"Synthetic {questions}",
        "type": "object",
        "properties": sections,
        "required": list(sections),
        "additionalProperties": False,
    }


def rules(questions: int) -> dict[str, Any]:
    found = []
    for s in range(questions // PER_SECTION):
        found.append(
            {
                "id": f"s{s}-total",
                "kind": "weighted_sum",
                "title": f"Section {s} total",
                "items": [f"/s{s}/q{q}" for q in range(0, PER_SECTION, 2)],
                "output": f"s{s}_total",
            }
        )
        found.append(
            {
                "id": f"s{s}-flag",
                "kind": "condition",
                "title": f"Section {s} answered yes",
                "when": {"==": [{"var": f"/s{s}/q1"}, True]},
                "flag": f"s{s}_yes",
                "because": f"Section {s} first yes/no answered yes",
            }
        )
    found.append(
        {
            "id": "routing",
            "kind": "route",
            "title": "Routing",
            "referrals": [
                {
                    "id": "support",
                    "when": {"var": "flags.s0_yes"},
                    "service": "community-mental-health",
                    "route": "health",
                    "urgency": "routine",
                    "priority": "moderate",
                    "because": "the first section's first answer was yes",
                }
            ],
        }
    )
    return {"rules": found}


def answers(questions: int) -> dict[str, Any]:
    return {
        f"s{s}": {f"q{q}": (q % 4 if q % 2 == 0 else q % 3 == 0) for q in range(PER_SECTION)}
        for s in range(questions // PER_SECTION)
    }


def timed(run: Callable[[], Any], seconds: float) -> float:
    """Milliseconds per call, the best of repeated rounds within about ``seconds``."""
    run()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def measure(seconds: float) -> list[Row]:
    from flask import render_template
    from referencing import Registry

    from assessment_engine import create_app
    from assessment_engine.forms import section_form
    from assessment_engine.questionnaires.documents import load_extensions
    from assessment_engine.questionnaires.runtime import EXTENSIONS_FILE, prepare
    from assessment_engine.scoring.kinds import BUILTIN_KINDS
    from assessment_engine.scoring.registry import RuleRegistry

    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", "SECRET_KEY": "growth"})
    extensions = load_extensions(ROOT / "form_schemas" / EXTENSIONS_FILE)
    costs: dict[str, dict[int, float]] = {"render": {}, "validate": {}, "decide": {}}
    for size in SIZES:
        prepared = prepare(
            key=f"synthetic-{size}",
            version=1,
            document=document(size),
            rules=rules(size),
            test_cases=None,
            extensions=extensions,
            registry=Registry(),
            rule_registry=RuleRegistry.from_kinds(BUILTIN_KINDS),
            services=None,
        )
        given = answers(size)
        questionnaire = prepared.questionnaire
        assert questionnaire.validate(given, complete=True) == {}
        ruleset = prepared.ruleset
        assert ruleset is not None
        names = [s.name for s in questionnaire.structure.sections]

        def render(prepared: Any = prepared, given: Any = given, names: Any = names) -> None:
            with app.test_request_context("/"):
                for name in names:
                    form = section_form(prepared, name, given)
                    render_template("forms/section_fields.html", form=form)

        costs["render"][size] = timed(render, seconds)
        costs["validate"][size] = timed(
            lambda q=questionnaire, g=given: q.validate(g, complete=True), seconds
        )
        costs["decide"][size] = timed(lambda r=ruleset, g=given: r.evaluate(g).to_dict(), seconds)
    rows = []
    for what, by_size in costs.items():
        for size in SIZES[1:]:
            ratio = by_size[size] / by_size[SIZES[0]]
            rows.append(
                Row(
                    name=f"{what} {size} questions",
                    value=by_size[size],
                    unit="ms",
                    reference_name=f"{SIZES[0]} questions",
                    reference=by_size[SIZES[0]],
                    target=f"<= {LIMIT:.0f}x of 50" if size == SIZES[-1] else "",
                    met=ratio <= LIMIT if size == SIZES[-1] else None,
                )
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print rows for run.py")
    args = parser.parse_args()
    emit(measure(args.seconds), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
