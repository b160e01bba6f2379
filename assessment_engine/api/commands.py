"""``flask --app wsgi purge-idempotency-keys``: forget stored idempotent responses."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from .idempotency import purge


@click.command("purge-idempotency-keys")
@with_appcontext
@click.option(
    "--hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Keep this many hours (default: IDEMPOTENCY_RETENTION_HOURS, 24).",
)
def purge_idempotency_keys_command(hours: float | None) -> None:
    """Delete idempotency keys and their stored responses older than the retention."""
    keep = hours if hours is not None else float(current_app.config["IDEMPOTENCY_RETENTION_HOURS"])
    deleted = purge(db.session(), timedelta(hours=keep))
    db.session.commit()
    click.echo(f"Deleted {deleted} idempotency key(s) older than {keep:g} hour(s).")
