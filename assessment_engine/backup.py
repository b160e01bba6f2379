"""``flask backup`` and ``flask restore``: copies of the database known to be consistent.

A plain file copy of a live SQLite database in WAL mode leaves the write-ahead log behind (it
silently lost the newest 150 events in a trial); SQLite's online backup API copies a consistent
snapshot, log included, while the application runs. PostgreSQL uses ``pg_dump``'s custom format
and ``pg_restore``. Backup files are created readable by their owner only (0600); encrypting
them at rest is the operator's (the storage's, or ``gpg``/``age`` on the file).

A restore loses whatever was written after the backup. :func:`restore_database` puts the copy
back; the command then writes a signed "gap" checkpoint naming the audit events the checkpoint
file knew of and the copy lacks, so ``audit-verify`` reports the loss and passes from there.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL, make_url

from .extensions import db


class BackupError(RuntimeError):
    """A backup or restore that could not be done, with a message for the operator."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password (which would show in ``ps``), and the
    environment that carries it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client of the server's version."
        )
    return found


def _private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 (refusing to overwrite), before anything is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{path} exists; choose a new file for the backup.") from None


def backup_database(database_url: str, destination: Path) -> None:
    """Write a consistent copy of the database to ``destination`` (a new file, mode 0600)."""
    url = make_url(database_url)
    _private_file(destination)
    try:
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(destination)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            dsn, env = _libpq(url)
            _run([_tool("pg_dump"), "--format=custom", f"--file={destination}", dsn], env)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    os.chmod(destination, 0o600)


def restore_database(database_url: str, source: Path) -> None:
    """Replace the database's content with the backup at ``source``. Stop the application
    first: connections other than this one would keep working on what is being replaced."""
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path(url))
        try:
            backup.backup(live)
        finally:
            live.close()
            backup.close()
        return
    dsn, env = _libpq(url)
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={dsn}",
            str(source),
        ],
        env,
    )


def _run(command: list[str], env: dict[str, str]) -> None:
    # A fixed tool found on PATH, its arguments from configuration, no shell.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        # The tools' messages name objects, never row data; the connection string has no
        # password (it is in the environment).
        raise BackupError(
            f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}"
        )


@click.command("backup")
@with_appcontext
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(destination: Path) -> None:
    """Write a consistent copy of the database to DESTINATION (a new file, mode 0600)."""
    try:
        backup_database(current_app.config["SQLALCHEMY_DATABASE_URI"], destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up the database to {destination} (readable by its owner only).")


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: replace the database.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database with the backup SOURCE, then record the audit gap it leaves."""
    from .records.checkpoints import record_restore, verify_audit

    if not yes:
        click.confirm(
            "This replaces everything in the database with the backup. Stop the application "
            "first. Go on?",
            abort=True,
        )
    db.session.remove()
    db.engine.dispose()  # no connection of ours keeps the old content open
    try:
        restore_database(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    policy = current_app.extensions["audit_checkpoints"]
    gap = record_restore(db.session(), policy)
    db.session.commit()
    click.echo(f"Restored the database from {source}.")
    click.echo(
        f"Wrote {gap.describe()}: {gap.lost_count} signed audit event(s) after event "
        f"{gap.lost_after_event_id} are not in the backup."
    )
    report = verify_audit(db.session(), policy)
    db.session.rollback()
    click.echo(report.message)
    if not report.ok:
        sys.exit(int(report.finding))
