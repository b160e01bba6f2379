"""``flask --app wsgi audit-verify``: check the audit trail's hash chain end to end."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..kernel.audit import verify_chain


@click.command("audit-verify")
@with_appcontext
def audit_verify_command() -> None:
    """Recompute every audit event's hash; exit 1 naming the first broken event."""
    report = verify_chain(db.session())
    db.session.rollback()
    if report.ok:
        click.echo(f"Audit trail intact: {report.checked} event(s) checked.")
        return
    click.echo(
        f"Audit trail broken at event {report.first_broken_id}: {report.reason} "
        f"({report.checked} event(s) before it are intact).",
        err=True,
    )
    sys.exit(1)
