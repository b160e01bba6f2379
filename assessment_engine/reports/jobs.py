"""The scheduled job and the commands that keep the outputs page's facts."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..assessments.clock import uk_today
from ..extensions import db
from .facts import check, fold_due


def fold_report_facts(app: Flask) -> str:
    """Fold every finished UK day not yet folded (each day committed on its own)."""
    folded = fold_due(db.session(), uk_today())
    if not folded:
        return "no finished day to fold"
    return f"folded {len(folded)} days, {folded[0].isoformat()} to {folded[-1].isoformat()}"


reports_cli = AppGroup("reports", help="The outputs page's facts.")


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
