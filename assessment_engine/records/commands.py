"""``flask --app wsgi audit-verify`` and ``audit-checkpoint``: the audit trail's checks."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from .checkpoints import CheckpointPolicy, lock_checkpoints, verify_audit, write_checkpoint


def _policy() -> CheckpointPolicy:
    policy: CheckpointPolicy = current_app.extensions["audit_checkpoints"]
    return policy


@click.command("audit-verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the audit chain against its signed checkpoints; exit non-zero on any finding.

    Exit status: 0 intact, 1 an event changed or deleted in the middle, 3 the chain was
    recomputed, 4 events deleted at the tail, 5 the database is older than the checkpoint
    file, 6 a checkpoint is forged, unreadable or the file is missing.
    """
    policy = _policy()
    report = verify_audit(db.session(), policy)
    db.session.rollback()
    click.echo(f"Checkpoint file: {policy.file.path}")
    if report.trusted is not None:
        click.echo(f"Trusted {report.trusted.describe()}.")
    else:
        click.echo("No checkpoint covered the events checked.")
    for note in report.notes:
        click.echo(note)
    if report.ok:
        click.echo(report.message)
        return
    click.echo(report.message, err=True)
    sys.exit(int(report.finding))


@click.command("audit-checkpoint")
@with_appcontext
def audit_checkpoint_command() -> None:
    """Sign the audit chain's head now (run it from a timer, for example every 5 minutes)."""
    session = db.session()
    lock_checkpoints(session)
    checkpoint = write_checkpoint(session, _policy())
    db.session.commit()
    click.echo(f"Wrote {checkpoint.describe()} to the database and {_policy().file.path}.")
