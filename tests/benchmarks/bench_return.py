"""The person-level quarterly return at national scale on PostgreSQL: seconds per export.

Needs a database filled by load_scale.py, named by ``BENCH_SCALE_URL``. The return of the
organisation with the most assessments, for the last complete quarter and the one before, made
through the service (``reports.quarterly``) as the command line of that organisation, audited,
in a transaction rolled back after each run. Not a page of p95 < 100 ms: a bulk export of every
person and support of a quarter, made a few times a quarter; the figure to watch is its time per
thousand rows.

Run: ``BENCH_SCALE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_scale
.venv/bin/python tests/benchmarks/bench_return.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("BENCH_SCALE_URL")
    if not url:
        print("set BENCH_SCALE_URL to a database filled by load_scale.py", file=sys.stderr)
        return 2

    from sqlalchemy import func, select, text

    from assessment_engine import create_app
    from assessment_engine.assessments.clock import uk_today
    from assessment_engine.assessments.models import Assessment
    from assessment_engine.extensions import db
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.kernel.audit import write_pending
    from assessment_engine.reports.quarterly import Quarter, quarterly_return

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
        for quarter in (last, last.previous()):
            times, rows = [], 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                try:
                    made = quarterly_return(session, actor, quarter)
                    write_pending(session)  # the audit event and its links, as a commit would
                    rows = len(made.rows)
                finally:
                    session.rollback()
                times.append(time.perf_counter() - started)
            per_thousand = statistics.median(times) / max(rows, 1) * 1000
            print(
                f"{quarter.label}: {rows} rows of {total} assessments; median "
                f"{statistics.median(times):.2f} s, max {max(times):.2f} s "
                f"({per_thousand:.2f} s per 1000 rows)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
