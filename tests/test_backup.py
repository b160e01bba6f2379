"""``flask backup`` and ``flask restore`` on the database under test: back up, write more,
restore, and see what the checkpoints say about the events the backup lacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from assessment_engine.backup import BackupError, backup_database, restore_database
from assessment_engine.extensions import db
from assessment_engine.records.checkpoints import Finding
from assessment_engine.records.models import AuditEvent

from .records.audit_scenes import audited_app, verify, write_events


@pytest.fixture
def audited(scratch_app: Callable[..., Flask]) -> Flask:
    return audited_app(scratch_app)


def _events(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.rollback()
        return int(count or 0)


def test_backup_write_more_restore_and_the_gap_is_on_record(audited, tmp_path: Path) -> None:
    runner = audited.test_cli_runner()
    copy = tmp_path / "backups" / "assessment.backup"
    result = runner.invoke(args=["backup", str(copy)])
    assert result.exit_code == 0, result.output
    assert copy.stat().st_mode & 0o777 == 0o600
    assert runner.invoke(args=["backup", str(copy)]).exit_code == 1  # never overwrites

    write_events(audited, 100)  # events 251-350; checkpoint #4 signs 310
    assert _events(audited) == 350

    result = runner.invoke(args=["restore", "--yes", str(copy)])
    assert result.exit_code == 0, result.output
    assert _events(audited) == 250
    assert "checkpoint #5 (gap" in result.output
    assert "60 signed audit event(s) after event 250 are not in the backup" in result.output
    assert "Audit trail intact: 250 event(s) checked." in result.output

    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert "records a restore: the events after event 250 through event 310" in result.output
    assert "Trusted checkpoint #5 (gap" in result.output

    write_events(audited, 100)  # life goes on: new events, the next checkpoints, all verify
    report = verify(audited)
    assert report.ok, report.message
    assert report.trusted is not None and report.trusted.id == 6


def test_a_restore_without_the_command_is_a_rolled_back_database(audited, tmp_path) -> None:
    copy = tmp_path / "assessment.backup"
    with audited.app_context():
        url = audited.config["SQLALCHEMY_DATABASE_URI"]
        backup_database(url, copy)
    write_events(audited, 100)
    with audited.app_context():
        db.session.remove()
        db.engine.dispose()
        restore_database(url, copy)  # the copy back, but no gap recorded
    report = verify(audited)
    assert report.finding is Finding.ROLLED_BACK, report.message
    result = audited.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 5 and "older than the checkpoint file" in result.output


def test_restore_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no backup file"):
        restore_database("sqlite:///" + str(tmp_path / "x.db"), tmp_path / "none.backup")
