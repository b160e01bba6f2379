"""Queries at national scale on PostgreSQL: p50/p95 of the lookups staff make all day.

Needs a database filled by load_scale.py, named by ``BENCH_SCALE_URL`` (skipped without it,
since loading a million assessments takes many minutes). Each query goes through the
application's own services, in a transaction rolled back afterwards (they audit):
find by CHI, find by name and date of birth, a partner's referral queue page, a client's
timeline, and the outputs and outcomes figures (``reports.outputs``, from the daily facts that
load_scale.py folds) for a team manager and for the partnership lead, with and without drawing
the page's charts (kept by the charts' cache, and drawn anew), and a team manager's list of the
people overdue (``reports.overdue_people``). The reference, measured in the same run, is a
primary-key lookup of one client. Targets: CHI p95 < 5 ms, queue and timeline p95 < 50 ms,
outputs p95 < 100 ms.

Run: ``BENCH_SCALE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_scale
.venv/bin/python tests/benchmarks/bench_scale.py [--repeat 200] [--json] [--explain]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from report import Row, emit


def percentiles(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(p50, p95) in ms of ``repeat`` calls, after five warm-up calls."""
    for _ in range(5):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * len(times)) - 1]


def measure(url: str, repeat: int, explain: bool) -> list[Row]:
    from sqlalchemy import select, text

    from assessment_engine import create_app
    from assessment_engine.assessments.models import Referral
    from assessment_engine.assessments.queue import QueueFilters, work_queue
    from assessment_engine.assessments.timeline import client_timeline
    from assessment_engine.auth.models import User
    from assessment_engine.extensions import db
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.kernel.audit import write_pending
    from assessment_engine.records.models import Client
    from assessment_engine.records.services import find_by_chi, search_clients

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "scale",
            # The scale database's own checkpoints, not the development database's file.
            "AUDIT_CHECKPOINT_FILE": "/tmp/assessment-bench-scale-checkpoints.jsonl",
        }
    )
    rng = random.Random(6)
    with app.app_context():
        session = db.session
        counts = {
            table: session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("clients", "assessments", "referrals", "audit_events")
        }
        people = session.execute(
            text(
                "SELECT id, chi, given_name, family_name, date_of_birth FROM clients "
                "TABLESAMPLE SYSTEM (1) LIMIT 500"
            )
        ).all()
        assessed = [
            row[0]
            for row in session.execute(
                text("SELECT client_id FROM assessments TABLESAMPLE SYSTEM (1) LIMIT 500")
            )
        ]
        user = session.scalar(select(User).where(User.email == "scale@pkc.example"))
        partner_orgs = list(session.scalars(select(Referral.organisation_id).distinct()))
        session.rollback()
        actor = Actor.for_user(user)

        def rolled_back(work: Callable[[], Any]) -> Callable[[], Any]:
            def run() -> Any:
                try:
                    result = work()
                    write_pending(session)  # the audit events, written as a commit would
                    return result
                finally:
                    session.rollback()

            return run

        def by_id() -> Any:
            return session.get(Client, rng.choice(people)[0], populate_existing=True)

        def by_chi() -> Any:
            return find_by_chi(session, rng.choice(people)[1])

        def by_name() -> Any:
            person = rng.choice(people)
            return search_clients(
                session,
                actor,
                f"{person[2]} {person[3]}",
                date_of_birth=person[4],
            )

        def queue() -> Any:
            other = Actor(**{**actor.__dict__, "organisation_id": rng.choice(partner_orgs)})
            return work_queue(session, other, QueueFilters(), limit=50)

        def timeline() -> Any:
            return client_timeline(session, rng.choice(assessed))

        from assessment_engine.assessments.clock import uk_today
        from assessment_engine.kernel.actor import Role
        from assessment_engine.reports.charts import _drawn, charts
        from assessment_engine.reports.outputs import Filters, overdue_people
        from assessment_engine.reports.outputs import outputs as outputs_of

        today = uk_today()
        year = Filters(today - timedelta(days=364), today)
        manager = Actor(**{**actor.__dict__, "role": Role.TEAM_MANAGER})
        lead = Actor(**{**actor.__dict__, "role": Role.PARTNERSHIP_LEAD})

        def outputs() -> Any:
            return outputs_of(session, manager, year, today)

        def partnership() -> Any:
            return outputs_of(session, lead, year, today)

        def page() -> Any:
            return charts(outputs_of(session, manager, year, today))

        def page_drawn() -> Any:
            _drawn.cache_clear()  # every chart drawn again, as for figures never seen before
            return charts(outputs_of(session, manager, year, today))

        def overdue() -> Any:
            return overdue_people(session, manager, year, today)

        figures = [
            ("find by CHI", by_chi, 5.0),
            ("find by name + date of birth", by_name, None),
            ("partner's referral queue page", queue, 50.0),
            ("client's timeline", timeline, 50.0),
            ("team manager's outputs, a year", outputs, 100.0),
            ("partnership lead's outputs, a year", partnership, 100.0),
            ("outputs page's figures and charts", page, 100.0),
            ("outputs page's figures and charts, drawn anew", page_drawn, 100.0),
            ("team manager's people overdue (100, audited)", overdue, 100.0),
        ]
        reference = percentiles(rolled_back(by_id), repeat)
        rows = []
        for name, run, target in figures:
            times = repeat if target != 100.0 else max(20, repeat // 4)
            p50, p95 = percentiles(rolled_back(run), times)
            rows.append(
                Row(
                    name=f"{name} p95",
                    value=p95,
                    unit="ms",
                    reference_name="client by id p95",
                    reference=reference[1],
                    target=f"p95 < {target:.0f} ms" if target else "",
                    met=(p95 < target) if target else None,
                    note=f"p50 {p50:.2f} ms, p95 {p95:.2f} ms",
                )
            )
        scale = ", ".join(f"{n:,} {t}" for t, n in counts.items())
        rows[0] = Row(**{**rows[0].__dict__, "note": rows[0].note + f"; loaded: {scale}"})
        if explain:
            _explain(session, people, partner_orgs)
    return rows


def _explain(session: Any, people: list[Any], partner_orgs: list[int]) -> None:
    """Print the plans of the application's own queue, CHI and timeline queries (for the
    README), compiled by SQLAlchemy as the services send them."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from assessment_engine.assessments.models import Assessment
    from assessment_engine.assessments.queue import QueueFilters, queue_statement
    from assessment_engine.records.models import Client

    statements = (
        ("queue", queue_statement(partner_orgs[0], QueueFilters(), datetime.now(UTC), 50)),
        ("chi", select(Client).where(Client.chi == people[0][1])),
        (
            "timeline assessments",
            select(Assessment)
            .where(Assessment.client_id == people[0][0])
            .order_by(Assessment.created_at.desc()),
        ),
    )
    for label, statement in statements:
        compiled = statement.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
        )
        connection = session.connection()
        plan = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled),
            {key: getattr(value, "value", value) for key, value in compiled.params.items()},
        ).all()
        print(f"-- {label}", file=sys.stderr)
        for line in plan:
            print(line[0], file=sys.stderr)
        session.rollback()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print rows for run.py")
    parser.add_argument("--explain", action="store_true", help="print query plans")
    args = parser.parse_args()
    url = os.environ.get("BENCH_SCALE_URL")
    if not url:
        print(
            "BENCH_SCALE_URL not set: skipping the scale figures (see load_scale.py)",
            file=sys.stderr,
        )
        emit([], args.json)
        return 0
    emit(measure(url, args.repeat, args.explain), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
