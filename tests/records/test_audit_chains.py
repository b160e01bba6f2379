"""The audit trail split into chains, each with its own lock: events about different people go
to different chains, every checkpoint signs every chain's head through a Merkle root, and
tampering with any one chain is found and named. Events and checkpoints written before the
trail was partitioned (all in chain 0) still verify.

Each test commits for real on a scratch database (of the kind under test).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from assessment_engine.extensions import db
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import chain_of, record_event, verify_chain
from assessment_engine.partners.models import OrganisationKind
from assessment_engine.partners.services import ensure_organisation
from assessment_engine.records.checkpoints import (
    AuditCheckpoint,
    Checkpoint,
    Finding,
    merkle_root,
    verify_audit,
)
from assessment_engine.records.models import AuditEvent

from .audit_scenes import tamper, verify

CHAINS = 4


def _people_app(scratch_app: Callable[..., Flask], **config: object) -> Flask:
    settings = {
        "AUDIT_CHAIN_PARTITIONS": CHAINS,
        "AUDIT_CHECKPOINT_EVERY": 40,
        "AUDIT_CHECKPOINT_MINUTES": 0,
        **config,
    }
    app = scratch_app(seed=False, **settings)
    with app.app_context():
        org, _ = ensure_organisation(
            db.session, slug="audit", name="Audit", kind=OrganisationKind.HEALTH
        )
        db.session.commit()
        app.config["TEST_ORG"] = org.id
    return app


def _write_for_people(app: Flask, commits: int, people: int = 8) -> None:
    """``commits`` commits of three events each, about person 1, 2, ... in turn."""
    with app.app_context():
        actor = Actor(organisation_id=app.config["TEST_ORG"], label="test", address="127.0.0.1")
        for n in range(commits):
            person = uuid.UUID(int=1 + n % people)
            for action in ("client.view", "assessment.submit", "decision.create"):
                record_event(
                    db.session, actor, action, record_type="client", record_id=n, client_id=person
                )
            db.session.commit()


@pytest.fixture
def people(scratch_app: Callable[..., Flask]) -> Flask:
    """150 events about 8 people, in 4 chains; checkpoints every 40 events or so."""
    app = _people_app(scratch_app)
    _write_for_people(app, 50)
    return app


def _chain_events(app: Flask, chain: int) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_each_person_s_events_join_their_chain_and_each_chain_links_its_own(people) -> None:
    with people.app_context():
        per_chain = dict(
            db.session.execute(
                select(AuditEvent.chain, func.count()).group_by(AuditEvent.chain)
            ).all()
        )
        assert verify_chain(db.session).ok
    assert per_chain == {0: 36, 1: 39, 2: 39, 3: 36}  # people 1-8 by client id modulo 4
    for chain in range(CHAINS):
        events = _chain_events(people, chain)
        assert {chain_of(e.client_id, None, CHAINS) for e in events} == {chain}
        assert events[0].prev_hash == "0" * 64
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))


def test_a_checkpoint_signs_every_chain_s_head_under_their_merkle_root(people) -> None:
    with people.app_context():
        rows = db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).all()
        checkpoints = [Checkpoint.from_row(row) for row in rows]
    assert len(checkpoints) >= 3
    newest = checkpoints[-1]
    assert newest.heads is not None and [h[0] for h in newest.heads] == [0, 1, 2, 3]
    for chain, head_id, head_hash, count in newest.heads:
        signed = [e for e in _chain_events(people, chain) if e.id <= head_id]
        assert (signed[-1].id, signed[-1].hash, len(signed)) == (head_id, head_hash, count)
    assert newest.head_hash == merkle_root(newest.heads)
    assert newest.event_count == sum(h[3] for h in newest.heads)
    lines = Path(people.config["AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()
    filed = [json.loads(line) for line in lines]
    assert [Checkpoint(**c) for c in filed] == checkpoints  # the file signs the same heads
    report = verify(people)
    assert report.ok, report.message
    assert report.message == "Audit trail intact: 150 event(s) checked in 4 chains."
    assert report.trusted == newest


def test_the_merkle_root_is_rfc_6962_s_tree_hash_of_the_heads() -> None:
    heads = [(c, c + 10, f"{c:064x}", c + 1) for c in range(3)]

    def leaf(head: tuple[int, int, str, int]) -> bytes:
        return hashlib.sha256(b"\x00" + json.dumps(list(head), separators=(",", ":")).encode())

    def node(left: bytes, right: bytes) -> bytes:
        return hashlib.sha256(b"\x01" + left + right).digest()

    l0, l1, l2 = (leaf(h).digest() for h in heads)
    assert merkle_root(heads) == node(node(l0, l1), l2).hex()
    assert merkle_root(reversed(heads)) == merkle_root(heads)  # in chain order, however given
    assert merkle_root(heads[:1]) == l0.hex()
    changed = [*heads[:2], (2, 12, f"{3:064x}", 3)]
    assert merkle_root(changed) != merkle_root(heads)


@pytest.mark.parametrize("chain", [1, 2])
def test_changing_an_event_in_one_chain_is_found_in_that_chain(people, chain: int) -> None:
    target = _chain_events(people, chain)[5]
    tamper(people, f"UPDATE audit_events SET action = 'client.search' WHERE id = {target.id}")  # noqa: S608 (ids of our own rows)
    report = verify(people)
    assert report.finding is Finding.CHANGED
    assert f"Audit trail of chain {chain} broken at event {target.id}" in report.message
    assert "its content was changed (5 event(s) before it are intact)" in report.message


@pytest.mark.parametrize("chain", [0, 3])
def test_deleting_one_chain_s_tail_is_found_though_the_others_are_whole(people, chain: int) -> None:
    events = _chain_events(people, chain)
    tamper(people, f"DELETE FROM audit_events WHERE chain = {chain} AND id > {events[10].id}")  # noqa: S608 (ids of our own rows)
    report = verify(people)
    assert report.finding is Finding.TRUNCATED, report.message
    assert f"chain {chain} ends at event {events[10].id} (11 event(s))" in report.message
    assert report.trusted is not None  # the newest checkpoint every chain still agrees with
    assert report.trusted.head_of(chain)[1] <= events[10].id


def test_recomputing_one_chain_after_deleting_from_it_is_found(people) -> None:
    events = _chain_events(people, 2)
    tamper(people, f"DELETE FROM audit_events WHERE id = {events[3].id}", recompute=True)  # noqa: S608 (ids of our own rows)
    with people.app_context():
        assert verify_chain(db.session).ok  # the chains agree with themselves again
    report = verify(people)
    assert report.finding is Finding.RECOMPUTED, report.message
    assert "The chain of chain 2 was rewritten" in report.message


def test_moving_an_event_to_another_chain_is_found(people) -> None:
    moved = _chain_events(people, 1)[4]
    tamper(people, f"UPDATE audit_events SET chain = 3 WHERE id = {moved.id}")  # noqa: S608 (ids of our own rows)
    report = verify(people)
    assert report.finding is Finding.CHANGED
    assert "chain 1" in report.message or "chain 3" in report.message


def test_a_trail_written_as_one_chain_still_verifies_once_partitioned(
    scratch_app: Callable[..., Flask],
) -> None:
    """Before the partitions every event was chained as one sequence and a checkpoint named that
    one head: after the migration those events are chain 0's, their checkpoint (signed without
    heads) still checks, and new events about people join the other chains."""
    one = _people_app(scratch_app, AUDIT_CHAIN_PARTITIONS=1, AUDIT_CHECKPOINT_EVERY=0)
    _write_for_people(one, 20)
    policy = one.extensions["audit_checkpoints"]
    with one.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None and last.chain == 0
        old = policy.keys.sign(
            Checkpoint(
                id=1,
                kind="periodic",
                created_at=last.occurred_at.isoformat(),
                head_event_id=last.id,
                head_hash=last.hash,
                event_count=60,
            )
        )
        assert "heads" not in old.as_json()  # as a checkpoint was signed before
        db.session.add(old.to_row())
        db.session.commit()
        policy.file.append([old])
    many = _people_app(scratch_app)
    _write_for_people(many, 30)
    report = verify(many)
    assert report.ok, report.message
    assert report.message == "Audit trail intact: 150 event(s) checked in 4 chains."
    assert report.trusted is not None and report.trusted.heads is not None
    assert report.trusted.head_of(0)[3] > 60  # chain 0 went on from the old single chain

    early = _chain_events(many, 0)[10]
    tamper(many, f"DELETE FROM audit_events WHERE id = {early.id}", recompute=True)  # noqa: S608 (ids of our own rows)
    report = verify(many)
    assert report.finding is Finding.RECOMPUTED, report.message
    assert "checkpoint #1" in report.message  # the old checkpoint still catches it


def test_a_commit_to_another_chain_while_a_checkpoint_counts_does_not_spoil_it(
    scratch_app: Callable[..., Flask],
) -> None:
    """A checkpoint reads the chains' heads, then counts each chain's events, in two statements:
    under READ COMMITTED another request's commit to a chain can land between them. The count
    must stop at the head it signs, or the checkpoint signs a head with a count one event off
    and audit-verify later calls an intact chain "rewritten"."""
    from sqlalchemy import event as sa_event
    from sqlalchemy.orm import Session

    from assessment_engine.records.checkpoints import lock_checkpoints, write_checkpoint

    app = _people_app(scratch_app, AUDIT_CHECKPOINT_EVERY=0)
    _write_for_people(app, 8)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's one writer holds the whole database through the checkpoint")
        actor = Actor(organisation_id=app.config["TEST_ORG"], label="test", address="127.0.0.1")
        landed: list[int] = []

        def commit_meanwhile(
            _conn: object, _cursor: object, statement: str, *_args: object
        ) -> None:
            if landed or "count(*)" not in statement:
                return
            other = Session(db.engine)
            try:  # another request, about person 1, commits while the count is about to run
                record_event(
                    other,
                    actor,
                    "client.view",
                    record_type="client",
                    record_id="x",
                    client_id=uuid.UUID(int=1),
                )
                other.commit()
                landed.append(1)
            finally:
                other.close()

        sa_event.listen(db.engine, "before_cursor_execute", commit_meanwhile)
        try:
            assert lock_checkpoints(db.session())
            write_checkpoint(db.session(), app.extensions["audit_checkpoints"])
            db.session.commit()
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", commit_meanwhile)
        assert landed
    report = verify(app)
    assert report.finding is Finding.INTACT, report.message


def test_a_link_of_an_export_to_a_person_deleted_afterwards_is_found(
    scratch_app: Callable[..., Flask],
) -> None:
    """An export (or search) is one event linked to each person it showed; the links are rows
    of their own. Deleting one hides the export from that person's "who has seen this record",
    so the event's hash covers the links' digest and audit-verify checks them."""
    from datetime import date

    from assessment_engine.records import services as records
    from assessment_engine.records.access import audit_shown

    app = _people_app(scratch_app)
    with app.app_context():
        actor = Actor.command_line(app.config["TEST_ORG"])
        people = [
            records.create_client(
                db.session,
                actor,
                records.ClientDetails(
                    chi=chi, given_name="Ann", family_name="Bell", date_of_birth=date(1985, 4, 19)
                ),
            ).id
            for chi in ("1904851231", "1904851258")
        ]
        audit_shown(db.session, actor, "reports.return", "report", people, {"people": 2})
        db.session.commit()
        exported = db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "reports.return")
        )
    assert verify(app).finding is Finding.INTACT
    links = f"FROM audit_event_clients WHERE audit_event_id = {exported}"
    tamper(
        app, f"DELETE {links} AND client_id = (SELECT client_id {links} ORDER BY client_id LIMIT 1)"
    )
    report = verify(app)
    assert report.finding is Finding.CHANGED
    assert f"broken at event {exported}: the people it is linked to" in report.message


def _viewed(session: Any, actor: Actor, record_id: object, person: uuid.UUID) -> Any:
    """A ``client.view`` event about ``person`` recorded in ``session`` (not committed)."""
    return record_event(
        session, actor, "client.view", record_type="client", record_id=record_id, client_id=person
    )


def test_concurrent_commits_to_two_chains_keep_each_chain_whole(
    scratch_app: Callable[..., Flask],
) -> None:
    """Three writers at once, each in its own connection: one about a person of chain 1, one of
    chain 2, one about both in every commit; checkpoints are due every few events, so commits
    also race to write them. Each chain stays linked and every checkpoint matches."""
    import threading

    app = _people_app(scratch_app, AUDIT_CHECKPOINT_EVERY=5)
    people = {1: [uuid.UUID(int=1)], 2: [uuid.UUID(int=2)], 3: [uuid.UUID(int=1), uuid.UUID(int=2)]}
    barrier = threading.Barrier(len(people))
    errors: list[BaseException] = []

    def write(about: list[uuid.UUID]) -> None:
        with app.app_context():
            actor = Actor(organisation_id=app.config["TEST_ORG"], label="test", address="::1")
            barrier.wait()
            try:
                for n in range(15):
                    for person in about:
                        _viewed(db.session, actor, n, person)
                    db.session.commit()
            except BaseException as error:  # pragma: no cover - shown in the assertion
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write, args=(about,)) for about in people.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify(app)
    assert report.finding is Finding.INTACT, report.message
    assert report.checked == 60
    for chain in (1, 2):
        events = _chain_events(app, chain)
        assert len(events) == 30
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) >= 2


def test_a_head_read_sent_behind_a_held_lock_sees_the_holder_s_event(
    scratch_app: Callable[..., Flask],
) -> None:
    """On PostgreSQL a commit sends its chain's lock and the read of the chain's head together
    (pipeline mode). While another transaction holds the lock, having appended to the chain,
    the read waits behind the lock and, once the holder commits, reads the holder's event: the
    new event links to it, not to the head before it."""
    import threading
    import time

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from assessment_engine.kernel.audit import write_pending

    app = _people_app(scratch_app)
    person = uuid.UUID(int=1)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's BEGIN IMMEDIATE holds the whole database: no one waits here")
        actor = Actor(organisation_id=app.config["TEST_ORG"], label="test", address="::1")
        _viewed(db.session, actor, "before", person)
        db.session.commit()
        holder = Session(db.engine)
        first = _viewed(holder, actor, "holder", person)
        write_pending(holder)  # holds the chain's lock, its event appended, not committed
        held = first.hash
        errors: list[BaseException] = []

        def waiter() -> None:
            with app.app_context():
                try:
                    _viewed(db.session, actor, "waiter", person)
                    db.session.commit()
                except BaseException as error:  # pragma: no cover - shown in the assertion
                    errors.append(error)
                finally:
                    db.session.remove()

        thread = threading.Thread(target=waiter)
        thread.start()
        waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        with db.engine.connect() as watch:
            deadline = time.monotonic() + 10
            while not watch.execute(waiting).scalar() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert watch.execute(waiting).scalar() == 1  # the waiter is queued on the lock
        holder.commit()
        holder.close()
        thread.join(10)
        assert errors == []
    events = _chain_events(app, chain_of(person, None, CHAINS))
    assert [e.record_id for e in events] == ["before", "holder", "waiter"]
    assert events[1].hash == held and events[2].prev_hash == held
    report = verify(app)
    assert report.finding is Finding.INTACT, report.message


def test_the_migration_keeps_a_trail_and_checkpoint_written_before_it_verifying(
    scratch_database_url: str, tmp_path: Path
) -> None:
    """Through the migration itself: a trail and a checkpoint written at the revision before
    the chains (no ``chain``, no ``heads`` column) verify after ``upgrade``; new events then
    spread over the chains, and the old checkpoint still finds a rewrite of the old events."""
    from types import SimpleNamespace

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from assessment_engine import create_app
    from assessment_engine.db import utcnow
    from assessment_engine.kernel.audit import GENESIS, _digest

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": scratch_database_url,
            "SECRET_KEY": "k" * 32,
            "AUDIT_CHECKPOINT_KEY": "c" * 32,
            "AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
            "AUDIT_CHECKPOINT_EVERY": 0,
            "AUDIT_CHECKPOINT_MINUTES": 0,
            "AUDIT_CHAIN_PARTITIONS": CHAINS,
        }
    )
    policy = app.extensions["audit_checkpoints"]

    def old_table(model: type, *leave_out: str) -> sa.TableClause:
        columns = model.__table__.c  # type: ignore[attr-defined]
        return sa.table(
            model.__tablename__,  # type: ignore[attr-defined]
            *(sa.column(c.name, c.type) for c in columns if c.name not in leave_out),
        )

    try:
        with app.app_context():
            upgrade(revision="a4c8e2f61b37")
            events = old_table(AuditEvent, "chain")
            prev, rows = GENESIS, []
            for n in range(12):
                row = SimpleNamespace(
                    occurred_at=utcnow(),
                    actor="test",
                    user_id=None,
                    organisation_id=None,
                    action="client.view",
                    record_type="client",
                    record_id=str(n),
                    client_id=None,
                    address="::1",
                    detail={"n": n},
                )
                row.prev_hash, row.hash = prev, _digest(prev, row)
                prev = row.hash
                rows.append(vars(row))
            db.session.execute(sa.insert(events), rows)
            old = policy.keys.sign(
                Checkpoint(
                    id=1,
                    kind="periodic",
                    created_at=utcnow().isoformat(),
                    head_event_id=12,
                    head_hash=prev,
                    event_count=12,
                )
            )
            fields = json.loads(old.as_json())
            fields["created_at"] = datetime.fromisoformat(fields["created_at"])
            db.session.execute(sa.insert(old_table(AuditCheckpoint, "heads")), [fields])
            db.session.commit()
            policy.file.append([old])

            upgrade()
            report = verify_audit(db.session(), policy)
            assert report.finding is Finding.INTACT, report.message
            assert report.trusted == old
            org, _ = ensure_organisation(
                db.session, slug="later", name="Later", kind=OrganisationKind.HEALTH
            )
            db.session.commit()
            app.config["TEST_ORG"] = org.id
        _write_for_people(app, 4)
        with app.app_context():
            spread = set(db.session.scalars(select(AuditEvent.chain).distinct()))
            db.session.rollback()
        assert spread > {0}
        assert verify(app).finding is Finding.INTACT
        tamper(app, "UPDATE audit_events SET detail = '{\"n\": 99}' WHERE id = 3", recompute=True)
        report = verify(app)
        assert report.finding is Finding.RECOMPUTED, report.message
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
