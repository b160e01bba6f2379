"""The scheduled job and the commands that keep the outputs page's facts."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..assessments.clock import uk_today
from ..db import utcnow
from ..extensions import db
from .facts import check, fold_due
from .outputs import take_snapshot


def fold_report_facts(app: Flask) -> str:
    """Fold every finished UK day not yet folded (each day committed on its own), then count
    what is waiting and overdue now for the page."""
    session = db.session()
    folded = fold_due(session, uk_today())
    counted = take_snapshot(session, utcnow(), uk_today())
    session.commit()
    if not folded:
        return f"no finished day to fold; {counted} counts of now"
    days = f"{folded[0].isoformat()} to {folded[-1].isoformat()}"
    return f"folded {len(folded)} days, {days}; {counted} counts of now"


reports_cli = AppGroup(
    "reports", help="The outputs page's facts, and the person-level quarterly return."
)


@reports_cli.command("fold")
def fold_command() -> None:
    """Fold every finished day not yet folded into the facts (as the scheduled job does)."""
    click.echo(fold_report_facts(current_app))


@reports_cli.command("check")
def check_command() -> None:
    """Recount every folded day from the detail rows; exit 1 where the facts differ."""
    result = check(db.session())
    db.session.rollback()
    click.echo(str(result))
    if not result.ok:
        raise SystemExit(1)
