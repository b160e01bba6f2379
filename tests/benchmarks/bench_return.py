"""The person-level quarterly return at national scale on PostgreSQL: seconds per export.

Needs a database filled by load_scale.py, named by ``BENCH_SCALE_URL``. The return of the
organisation with the most assessments, for the last complete quarter and the one before, made
through the service (``reports.quarterly``) as the command line of that organisation, audited,
in a transaction rolled back after each run. Not a page of p95 < 100 ms: a bulk export of every
person and support of a quarter, made a few times a quarter; the figure to watch is its time per
thousand rows.

The reference, measured in the same run: reading the same quarter's assessment rows alone
(``SELECT`` of the columns the return shows, no policy, shaping or audit). Skipped without
``BENCH_SCALE_URL``, like bench_scale.py.

Run: ``BENCH_SCALE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_scale
.venv/bin/python tests/benchmarks/bench_return.py [--repeat 3] [--json]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

from report import Row, emit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print rows for run.py")
    args = parser.parse_args()
    url = os.environ.get("BENCH_SCALE_URL")
    if not url:
        print("BENCH_SCALE_URL not set: skipping the return (see load_scale.py)", file=sys.stderr)
        emit([], args.json)
        return 0
    emit(measure(url, args.repeat), args.json)
    return 0


def _median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(url: str, repeat: int) -> list[Row]:
    from sqlalchemy import func, select, text

    from assessment_engine import create_app
    from assessment_engine.assessments.clock import uk_today
    from assessment_engine.assessments.models import Assessment
    from assessment_engine.extensions import db
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.kernel.audit import write_pending
    from assessment_engine.reports.quarterly import Quarter, assessed_in, quarterly_return

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "scale",
            "AUDIT_CHECKPOINT_FILE": "/tmp/assessment-bench-return-checkpoints.jsonl",
        }
    )
    with app.app_context():
        session = db.session
        total = session.scalar(text("SELECT count(*) FROM assessments"))
        organisation_id = session.scalar(
            select(Assessment.organisation_id)
            .group_by(Assessment.organisation_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        actor = Actor.command_line(organisation_id)
        last = Quarter.of(uk_today()).previous()
        found: list[Row] = []
        for quarter in (last, last.previous()):
            made: list[int] = []

            def export(quarter: Quarter = quarter, made: list[int] = made) -> None:
                try:
                    result = quarterly_return(session, actor, quarter)
                    write_pending(session)  # the audit event and its links, as a commit would
                    made.append(len(result.rows))
                finally:
                    session.rollback()

            def read_rows(quarter: Quarter = quarter) -> None:
                session.execute(
                    select(Assessment.id, Assessment.client_id, Assessment.submitted_at).where(
                        *assessed_in(organisation_id, quarter)
                    )
                ).all()
                session.rollback()

            seconds = _median_seconds(export, repeat)
            reference = _median_seconds(read_rows, repeat)
            rows = made[-1] if made else 0
            found.append(
                Row(
                    name=f"quarterly return {quarter.label}, s per 1000 rows",
                    value=seconds / max(rows, 1) * 1000,
                    unit="s",
                    reference_name="reading its assessment rows alone",
                    reference=reference / max(rows, 1) * 1000,
                    note=f"{rows} rows of {total} assessments; {seconds:.2f} s an export",
                )
            )
        return found
    return 0


if __name__ == "__main__":
    sys.exit(main())
