"""``flask --app wsgi reports return --quarter 2026-Q3 --organisation SLUG``: the quarterly return
as CSV on standard output, through the same service as the page and the API (audited as the
command line of that organisation)."""

from __future__ import annotations

from typing import cast

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from ..assessments.clock import uk_today
from ..extensions import db
from ..kernel.actor import Actor
from ..partners.services import get_organisation
from .csv import csv_text
from .quarterly import COLUMNS, Quarter, ReturnError, quarterly_return


def _session() -> Session:
    return cast(Session, db.session)


@click.group("reports")
def reports_group() -> None:
    """Reports: the person-level quarterly return."""


@reports_group.command("return")
@click.option("--quarter", required=True, help="A calendar quarter, like 2026-Q3.")
@click.option("--organisation", "slug", required=True, help="The organisation's slug.")
@with_appcontext
def return_command(quarter: str, slug: str) -> None:
    """Print an organisation's return for a quarter as CSV (one row per person and support)."""
    try:
        chosen = Quarter.parse(quarter, uk_today())
    except ReturnError as error:
        raise click.BadParameter(str(error), param_hint="--quarter") from None
    organisation = get_organisation(_session(), slug)
    if organisation is None:
        raise click.BadParameter(f"no organisation {slug!r}", param_hint="--organisation")
    found = quarterly_return(_session(), Actor.command_line(organisation.id), chosen)
    db.session.commit()
    click.echo(csv_text(COLUMNS, found.rows), nl=False)
    click.echo(
        f"{found.people} people, {len(found.rows)} rows; {found.withheld} left out by their "
        "sharing views",
        err=True,
    )
