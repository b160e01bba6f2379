"""Signed checkpoints make the audit trail's tampering visible: deleting events at the tail or
in the middle, recomputing the chain, and a database older than the checkpoint file.

Each test commits for real on a scratch database (of the kind under test) and then tampers
with it as an insider with the database's owner role would: with the guards off.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from assessment_engine.extensions import db
from assessment_engine.records.checkpoints import (
    AuditCheckpoint,
    CheckpointFile,
    Finding,
)

from .audit_scenes import audited_app, checkpoint_reads, tamper, verify, write_events


@pytest.fixture
def audited(scratch_app: Callable[..., Flask]) -> Flask:
    return audited_app(scratch_app)


def _checkpoint_heads(app: Flask) -> list[int]:
    """Each checkpoint's head event, in the order they were written."""
    with app.app_context():
        return list(
            db.session.scalars(select(AuditCheckpoint.head_event_id).order_by(AuditCheckpoint.id))
        )


def test_checkpoints_are_written_every_100_events_to_the_table_and_the_file(audited) -> None:
    heads = _checkpoint_heads(audited)
    path = Path(audited.config["AUDIT_CHECKPOINT_FILE"])
    assert heads == [10, 110, 210]
    filed = [json.loads(line) for line in path.read_text().splitlines()]
    assert [c["head_event_id"] for c in filed] == heads
    assert path.stat().st_mode & 0o777 == 0o600
    report = verify(audited)
    assert report.ok and report.checked == 250
    assert report.trusted is not None and report.trusted.id == 3


def test_deleting_events_at_the_tail_across_a_checkpoint_is_detected(audited) -> None:
    tamper(audited, "DELETE FROM audit_events WHERE id > 150")
    report = verify(audited)
    assert report.finding is Finding.TRUNCATED
    assert "deleted at the tail" in report.message and "checkpoint #3" in report.message
    assert report.trusted is not None and report.trusted.id == 2  # the last one still true


def test_deleting_one_event_in_the_middle_is_detected(audited) -> None:
    tamper(audited, "DELETE FROM audit_events WHERE id = 120")
    report = verify(audited)
    assert report.finding is Finding.CHANGED
    assert "event 121" in report.message and "deleted" in report.message


def test_deleting_a_checkpoints_head_event_and_recomputing_is_detected(audited) -> None:
    tamper(audited, "DELETE FROM audit_events WHERE id = 110", recompute=True)
    report = verify(audited)
    assert report.finding is Finding.CHANGED
    assert "Event 110, the head of checkpoint #2" in report.message


def test_a_recomputed_chain_is_detected(audited) -> None:
    tamper(audited, "DELETE FROM audit_events WHERE id BETWEEN 40 AND 60", recompute=True)
    report = verify(audited)
    assert report.finding is Finding.RECOMPUTED
    assert "rewritten" in report.message and "checkpoint #2" in report.message
    assert report.trusted is not None and report.trusted.id == 1


def test_a_rolled_back_database_is_detected_by_the_file(audited) -> None:
    # What an older copy looks like: fewer events, and fewer checkpoints, than the file holds.
    tamper(
        audited,
        "DELETE FROM audit_events WHERE id > 150",
        "DELETE FROM audit_checkpoints WHERE id > 2",
    )
    report = verify(audited)
    assert report.finding is Finding.ROLLED_BACK
    assert "older than the checkpoint file" in report.message and "#3" in report.message


def test_new_events_after_an_unrecorded_rollback_do_not_hide_it(audited) -> None:
    tamper(
        audited,
        "DELETE FROM audit_events WHERE id > 150",
        "DELETE FROM audit_checkpoints WHERE id > 2",
    )
    write_events(audited, 100)  # reuses the lost events' numbers on SQLite
    report = verify(audited)
    assert report.finding is Finding.ROLLED_BACK


def test_a_forged_checkpoint_is_refused(audited) -> None:
    tamper(audited, "UPDATE audit_checkpoints SET event_count = 1 WHERE id = 1")
    report = verify(audited)
    assert report.finding is Finding.CHECKPOINTS and "signature" in report.message


def test_a_checkpoint_signed_with_another_key_is_refused(audited, tmp_path: Path) -> None:
    audited.extensions["audit_checkpoints"].keys.__init__("d" * 32)
    report = verify(audited)
    assert report.finding is Finding.CHECKPOINTS and "key" in report.message


def test_a_retired_key_still_verifies_after_rotation(audited) -> None:
    audited.extensions["audit_checkpoints"].keys.__init__("d" * 32, ["c" * 32])
    write_events(audited, 100)  # signed with the new key from here on
    report = verify(audited)
    assert report.ok, report.message
    assert report.trusted is not None and report.trusted.key_id != "" and report.trusted.id == 4


def test_an_edited_checkpoint_file_is_reported(audited) -> None:
    path = Path(audited.config["AUDIT_CHECKPOINT_FILE"])
    with path.open("a") as handle:
        handle.write("not a checkpoint\n")
    assert verify(audited).finding is Finding.CHECKPOINTS


def test_events_after_the_newest_checkpoint_are_covered_by_the_next(audited) -> None:
    write_events(audited, 50)  # events 251-300: no checkpoint due yet
    runner = audited.test_cli_runner()
    result = runner.invoke(args=["audit-checkpoint"])
    assert result.exit_code == 0 and "checkpoint #4" in result.output
    tamper(audited, "DELETE FROM audit_events WHERE id > 280")
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == int(Finding.TRUNCATED) == 4
    assert "Trusted checkpoint #3" in result.output
    assert "deleted at the tail" in result.output


def test_audit_verify_reports_intact_with_the_checkpoint_it_trusted(audited) -> None:
    result = audited.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert "Trusted checkpoint #3 (periodic" in result.output
    assert "Audit trail intact: 250 event(s) checked." in result.output


def test_the_database_refuses_to_change_or_delete_a_checkpoint(audited) -> None:
    with audited.app_context():
        for statement in (
            "UPDATE audit_checkpoints SET event_count = 1",
            "DELETE FROM audit_checkpoints",
        ):
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement))
            db.session.rollback()


def test_a_live_file_copy_of_sqlite_is_detected(audited, tmp_path: Path) -> None:
    with audited.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("a file copy of a live database is a SQLite hazard")
        source = Path(db.engine.url.database)
    raw = sqlite3.connect(source)  # the first 250 events into the database file
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    write_events(audited, 150)  # in the write-ahead log, not yet in the database file
    copy = tmp_path / "copy.db"
    shutil.copyfile(source, copy)  # what `cp` of the live file does: the log is left behind
    with audited.app_context():
        db.session.remove()
        db.engine.dispose()
    shutil.copyfile(copy, source)
    for suffix in ("-wal", "-shm"):
        Path(str(source) + suffix).unlink(missing_ok=True)
    report = verify(audited)
    assert report.finding is Finding.ROLLED_BACK, report.message
    assert report.checked == 250


def test_the_checkpoint_file_can_be_read_back(tmp_path: Path) -> None:
    file = CheckpointFile(tmp_path / "none.jsonl")
    assert file.read() == ([], []) and file.last_number() == 0


def test_a_checkpoint_is_due_after_five_minutes_with_fewer_events(
    scratch_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from assessment_engine.records import checkpoints

    app = audited_app(scratch_app)  # checkpoints at events 10, 110, 210
    app.extensions["audit_checkpoints"] = checkpoints.CheckpointPolicy(
        keys=app.extensions["audit_checkpoints"].keys,
        file=app.extensions["audit_checkpoints"].file,
        every_events=100,
        every_minutes=5,
    )
    write_events(app, 10)  # 60 events since the last checkpoint, and no time: none due
    later = checkpoints.utcnow() + timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(checkpoints, "utcnow", lambda: later)
    write_events(app, 10)  # five minutes on: due, with only 70 events
    heads = _checkpoint_heads(app)
    assert heads == [10, 110, 210, 270]
    assert verify(app).ok


def test_a_process_reads_the_checkpoints_again_only_when_one_may_be_due(
    audited, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assessment_engine.records import checkpoints

    reads = checkpoint_reads(audited)
    write_events(audited, 50)  # events 251-300: the last checkpoint (210) says none is due
    assert reads == []
    write_events(audited, 10)  # event 310 is due: read, and written
    assert reads
    heads = _checkpoint_heads(audited)
    assert heads == [10, 110, 210, 310]
    reads.clear()
    monkeypatch.setattr(checkpoints, "RECHECK_SECONDS", 0.0)  # every note is stale at once
    write_events(audited, 50)  # events 311-360 in five commits
    assert len(reads) == 5  # read at each commit (none due)


def test_a_checkpoint_table_gone_back_is_seen_once_the_note_is_stale(
    audited, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assessment_engine.records import checkpoints

    write_events(audited, 10)  # event 260; noted: none due before event 310
    tamper(audited, "DELETE FROM audit_checkpoints WHERE id = 3")  # as a restore would leave it
    write_events(audited, 10)  # event 270: the note still holds, so none is written yet
    monkeypatch.setattr(checkpoints, "RECHECK_SECONDS", 0.0)
    write_events(audited, 10)  # event 280: the table read again, 110 + 100 long past
    heads = _checkpoint_heads(audited)
    assert heads == [10, 110, 280]  # delayed by the note, not skipped


def test_ids_rolled_back_transactions_took_do_not_make_a_checkpoint_due(audited) -> None:
    """A rolled-back transaction (the start-up warm-up's, a refused submission's) takes ids from
    PostgreSQL's sequence for good: a checkpoint falls due after 100 events, not 100 ids."""
    with audited.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite numbers the next row after the last one: its ids have no gaps")
    # As 150 rolled-back events leave the sequence: ids 251-400 are never used.
    tamper(audited, "SELECT setval(pg_get_serial_sequence('audit_events', 'id'), 400)")
    write_events(audited, 50)  # ids 401-450: 90 events since the last checkpoint's head, 210
    write_events(audited, 10)  # ids 451-460: the 100th event since it
    heads = _checkpoint_heads(audited)
    assert heads == [10, 110, 210, 460]
    assert verify(audited).ok
