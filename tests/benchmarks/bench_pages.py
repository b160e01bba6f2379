"""Render time of every joint assessment section page for a signed-in assessor.

Median of repeated GETs through Flask's test client (in process, no network), on a throwaway
SQLite database built by the migrations. Run: .venv/bin/python tests/benchmarks/bench_pages.py
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from report import Row, assessor_and_person, emit, scratch_app  # noqa: E402

from assessment_engine.extensions import db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print rows for run.py")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        app = scratch_app(folder)
        with app.app_context():
            assessment_id, sections = _assessment(app)
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/sign-in",
            data={
                "email": "bench@pkc.example",
                "password": "timing harness passphrase",
                "csrf_token": token,
            },
        )
        print(f"section page GET, median of {args.repeat} (after 5 warm-up requests)")
        print(f"{'section':<16} {'fields':>6} {'median ms':>10} {'p90 ms':>8} {'KiB':>6}")
        results = []
        for name in sections:
            url = f"/assessments/{assessment_id}/sections/{name}"
            for _ in range(5):
                assert client.get(url).status_code == 200
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            html = response.get_data(as_text=True)
            fields = len(set(re.findall(r'name="([a-z_]+-[^"]+)"', html)))
            times.sort()
            results.append(
                (
                    name,
                    fields,
                    statistics.median(times),
                    times[int(0.9 * len(times)) - 1],
                    len(html) / 1024,
                )
            )
        for name, fields, median, p90, size in results:
            print(f"{name:<16} {fields:>6} {median:>10.2f} {p90:>8.2f} {size:>6.0f}")
        longest = max(results, key=lambda r: r[1])
        print(f"longest page: {longest[0]} ({longest[1]} fields), median {longest[2]:.2f} ms")
        echo = _echo_median(args.repeat)
        rows = [
            Row(
                name=f"section page '{longest[0]}' in process",
                value=longest[2],
                unit="ms",
                reference_name="echo app in process",
                reference=echo,
                note=f"{longest[1]} fields",
            )
        ]
        emit(rows, args.json)


def _echo_median(repeat: int) -> float:
    """Median ms of the echo app's POST through its test client: the framework's floor."""
    from echo_app import app as echo_app

    body = (
        ROOT / "form_schemas/joint-assessment/examples/falls-and-nursing-tasks.json"
    ).read_text()
    client = echo_app.test_client()
    times = []
    for _ in range(repeat + 5):
        start = time.perf_counter()
        client.post("/echo", data=body, content_type="application/json")
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[5:])


def _assessment(app):
    from assessment_engine.assessments.services import latest_published, start_assessment

    _user, actor, person = assessor_and_person(
        db.session,
        email="bench@pkc.example",
        password="timing harness passphrase",
        name="Bench",
        person=("Bench", "Mark", date(1940, 1, 1)),
    )
    answers = json.loads(
        (ROOT / "form_schemas/joint-assessment/examples/falls-and-nursing-tasks.json").read_text()
    )
    version = latest_published(db.session, "joint-assessment")
    assessment = start_assessment(db.session, actor, person, version, answers)
    db.session.commit()
    return assessment.id, list(version.document["properties"])


if __name__ == "__main__":
    main()
