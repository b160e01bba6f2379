"""What a commit that signs a checkpoint reads, and what the commits after it read: the
checkpoint just committed is the process's note of when the next is due (no read of it back),
and under the lock the last checkpoint is read once. Numbering, heads and the file as before."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from assessment_engine.extensions import db
from assessment_engine.records.checkpoints import AuditCheckpoint

from .audit_scenes import audited_app, checkpoint_reads, verify, write_events


@pytest.fixture
def audited(scratch_app: Callable[..., Flask]) -> Flask:
    return audited_app(scratch_app)


def test_the_checkpoint_a_process_commits_is_its_note_of_the_next(audited: Flask) -> None:
    reads = checkpoint_reads(audited)
    write_events(audited, 60)  # events 251-310: the one at 310 falls due and is written
    # The note (210 + 100) says 310 is due: read once before the lock, once under it.
    assert len(reads) == 2
    reads.clear()
    write_events(audited, 90)  # events 311-400: the checkpoint at 310 says none is due
    assert reads == []
    write_events(audited, 10)  # 410 is due again
    with audited.app_context():
        checkpoints = db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).all()
        rows = [(c.id, c.head_event_id, c.event_count) for c in checkpoints]
        db.session.rollback()
    assert rows == [(1, 10, 10), (2, 110, 110), (3, 210, 210), (4, 310, 310), (5, 410, 410)]
    filed = [
        json.loads(line)
        for line in Path(audited.config["AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()
    ]
    assert [(c["id"], c["head_event_id"], c["event_count"]) for c in filed] == rows
    report = verify(audited)
    assert report.ok and report.checked == 410
    assert report.trusted is not None and report.trusted.id == 5


def test_a_checkpoint_rolled_back_leaves_no_note(audited: Flask) -> None:
    from assessment_engine.records.checkpoints import lock_checkpoints, write_checkpoint

    policy = audited.extensions["audit_checkpoints"]
    with audited.app_context():
        assert lock_checkpoints(db.session, wait=False)
        write_checkpoint(db.session, policy)
        noted = policy.not_due.value
        db.session.rollback()
    assert policy.not_due.value is noted  # untouched: only a commit makes its checkpoint the note
    with audited.app_context():
        assert (
            db.session.scalar(select(AuditCheckpoint.id).order_by(AuditCheckpoint.id.desc())) == 3
        )
        db.session.rollback()
