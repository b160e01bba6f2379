"""``flask reports fold`` and ``flask reports check``, and the scheduled job that folds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from assessment_engine.assessments.clock import uk_today
from assessment_engine.notifications.scheduler import jobs, run_job
from assessment_engine.reports import FOLD_JOB
from assessment_engine.reports.facts import fold_due
from assessment_engine.reports.models import DailyFact


def test_check_says_whether_the_facts_equal_a_recount(
    app: Any, db_session: Any, world: dict[str, Any]
) -> None:
    runner = app.test_cli_runner()
    nothing = runner.invoke(args=["reports", "check"])
    assert nothing.exit_code == 0 and "no day has been folded yet" in nothing.output
    fold_due(db_session, uk_today() + timedelta(days=1))
    same = runner.invoke(args=["reports", "check"])
    assert same.exit_code == 0, same.output
    assert "equal a recount" in same.output
    # Today is folded already: the command (like the job) finds no finished day left.
    assert "no finished day to fold" in runner.invoke(args=["reports", "fold"]).output
    fact = db_session.scalars(select(DailyFact).where(DailyFact.measure == "started")).first()
    fact.count += 1  # as a fact that went wrong would look (facts are never updated)
    db_session.flush()
    differs = runner.invoke(args=["reports", "check"])
    assert differs.exit_code == 1
    assert uk_today().isoformat() in differs.output


def test_the_scheduled_runner_folds(app: Any, db_session: Any, world: dict[str, Any]) -> None:
    job = jobs(app)[FOLD_JOB]
    with app.app_context():
        result = run_job(app, job, force=True)
    assert (result.status, result.ok) == ("ran", True), result.outcome
    # Everything happened today, and today is not finished.
    assert result.outcome.startswith("no finished day to fold; ")
