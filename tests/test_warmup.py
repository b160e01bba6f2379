"""The start-up warm-up (assessment_engine.warmup, run by gunicorn.conf.py before the workers
fork) sends real requests against the deployment's database and leaves it exactly as it was."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from assessment_engine.auth.models import Role
from assessment_engine.auth.services import create_user
from assessment_engine.demo import demo_chi
from assessment_engine.extensions import db, limiter
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.models import AuditEvent
from assessment_engine.partners.services import get_organisation
from assessment_engine.records import services as records
from assessment_engine.records.checkpoints import (
    AuditCheckpoint,
    lock_checkpoints,
    write_checkpoint,
)
from assessment_engine.warmup import (
    MOST_CASES,
    _cases,
    _no_checkpoints,
    _targets,
    catalogue_reads,
    checkpoint_if_due_at_start,
    connect_warm,
    rolled_back,
    warm_up,
)


def _state(app: Any, checkpoints: Path) -> dict[str, Any]:
    """Every table's row count, each audit chain's head, and the checkpoint file's bytes."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        heads = {
            chain: db.session.execute(
                select(AuditEvent.id, AuditEvent.hash)
                .where(AuditEvent.chain == chain)
                .order_by(AuditEvent.id.desc())
                .limit(1)
            ).one()
            for chain in db.session.scalars(select(AuditEvent.chain).distinct())
        }
        db.session.remove()
    return {"rows": counts, "heads": heads, "file": checkpoints.read_bytes()}


def _assessor_and_person(app: Any) -> Actor:
    """An assessor, and a person they recorded (the warm-up's submissions are about them); the
    assessor, as an actor."""
    with app.app_context():
        user = create_user(
            db.session,
            email="someone@pkc.example",
            name="Some One",
            password="a long enough passphrase",
            organisation=get_organisation(db.session, "perth-kinross-council"),
            role=Role.ASSESSOR,
        )
        db.session.commit()
        actor = Actor.for_user(user)
        db.session.remove()
    _record_person(app, actor, "Ann", date(1950, 5, 17), 3)
    return actor


def _record_person(app: Any, actor: Actor, given_name: str, born: date, serial: int) -> None:
    """``actor`` records a person (one commit, with its audit events)."""
    with app.app_context():
        records.create_client(
            db.session,
            actor,
            records.ClientDetails(
                chi=demo_chi(born, serial, True),
                given_name=given_name,
                family_name="Other",
                date_of_birth=born,
            ),
        )
        db.session.commit()
        db.session.remove()


def test_the_warm_up_sends_real_requests_and_leaves_the_database_as_it_was(
    scratch_app: Any, tmp_path: Path
) -> None:
    # A checkpoint falls due at every commit that appends events: one filed at a warm-up's
    # (savepoint) commit would change the file.
    app = scratch_app(AUDIT_CHECKPOINT_EVERY=1)
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    _assessor_and_person(app)
    with app.app_context():
        compiled_before = len(db.engine._compiled_cache)
    before = _state(app, checkpoints)
    assert before["file"], "the set-up's commit filed a checkpoint"
    assert before["heads"]

    done = warm_up(app)

    statuses = dict(done.statuses)
    assert statuses["POST joint-assessment"] == 201
    assert statuses["POST /sign-in"] == 302
    assert statuses["GET joint-assessment section"] == 200
    assert all(status < 400 for _what, status in done.statuses), done.statuses
    assert done.templates > 50
    with app.app_context():
        assert len(db.engine._compiled_cache) > compiled_before  # the statements it compiled
        assert db.session is not None
    assert _state(app, checkpoints) == before
    assert not getattr(limiter.storage, "storage", {}), "the limiter's counts were cleared"
    assert app.extensions["audit_checkpoints"].file.path == checkpoints  # the policy restored


def test_the_warm_up_sends_one_case_of_each_kind_first() -> None:
    def case(number: int, priority: str | None = None, services: int = 0) -> dict[str, Any]:
        expect = {"priority": priority, "services": ["s"] * services} if priority else None
        return {"given": {"n": number}, **({"expect": expect} if expect else {})}

    cases = [case(1, "low"), case(2, "low"), case(3, "critical", 2), case(4, "low", 1), case(5)]

    ordered = _cases({"cases": [*cases, "not a case", {"given": "not answers"}]})

    # Most reach first (critical, most referrals), each kind once, then the kinds again.
    assert [answers["n"] for answers in ordered] == [3, 4, 1, 5, 2]


def test_after_the_warm_up_no_test_case_compiles_a_statement(scratch_app: Any) -> None:
    # It sends a version's cases only until one compiles nothing new; the others would not
    # have compiled anything either. (One chain, no checkpoint due: see the next test.)
    app = scratch_app(
        AUDIT_CHECKPOINT_EVERY=1000, AUDIT_CHECKPOINT_MINUTES=0, AUDIT_CHAIN_PARTITIONS=1
    )
    _assessor_and_person(app)
    done = warm_up(app)
    sent = [what for what, _status in done.statuses if what.startswith("POST ")]
    assert len(sent) < 3 * 4, done.statuses  # a few per questionnaire, not every case
    with app.app_context():
        compiled = db.engine._compiled_cache
    with rolled_back(app) as (_connection, session), _no_checkpoints(app):
        with app.app_context():
            targets = _targets(app, session)
        known = len(compiled)
        api = app.test_client()
        for target in targets:
            for number, answers in enumerate(target.cases[:MOST_CASES]):
                response = api.post(
                    "/api/v1/assessments",
                    base_url="https://localhost",
                    json={
                        "client_id": target.client_id,
                        "questionnaire": target.slug,
                        "status": "submitted",
                        "answers": answers,
                    },
                    headers={
                        "Authorization": f"Bearer {target.token}",
                        "Idempotency-Key": f"{target.slug}-{number}",
                    },
                )
                assert response.status_code == 201, (target.slug, number, response.json)
                assert len(compiled) == known, (target.slug, number)


def test_a_worker_connects_and_reads_nothing(scratch_app: Any) -> None:
    app = scratch_app()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        connect_warm(db.engine, db.metadata)
        assert db.engine.pool.checkedin() == 1  # kept in the pool for the first request
        reads = catalogue_reads(db.metadata, db.engine.dialect)
        if db.engine.dialect.name == "postgresql":  # every table, in one statement built once
            assert reads is not None
            assert reads.count("SELECT * FROM") == len(db.metadata.tables)
            assert catalogue_reads(db.metadata, db.engine.dialect) is reads
        else:
            assert reads is None
        db.session.remove()
        db.engine.dispose()


def test_after_the_warm_up_a_checkpoint_compiles_nothing(scratch_app: Any) -> None:
    # None falls due during the warm-up's requests (1,000 events apart): it signs one anyway,
    # in its rolled-back transaction, so the first commit that finds one due compiles nothing.
    # One chain: the statements' shape depends on which chains hold events, and the warm-up's
    # own (rolled-back) person joins a chain of its own (a deployment soon fills them all).
    app = scratch_app(
        AUDIT_CHECKPOINT_EVERY=1000, AUDIT_CHECKPOINT_MINUTES=0, AUDIT_CHAIN_PARTITIONS=1
    )
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    _assessor_and_person(app)  # its commit signed the first checkpoint, compiling its SQL
    before = _state(app, checkpoints)
    with app.app_context():
        db.engine._compiled_cache.clear()  # as in a new process

    warm_up(app)

    policy = app.extensions["audit_checkpoints"]
    assert policy.not_due.value is None  # no note resting on the rolled-back checkpoint
    assert _state(app, checkpoints) == before
    with app.app_context():
        compiled = len(db.engine._compiled_cache)
        assert lock_checkpoints(db.session, wait=False)  # as a commit that finds one due
        write_checkpoint(db.session, policy)
        assert len(db.engine._compiled_cache) == compiled
        db.session.rollback()
        db.session.remove()


def test_a_checkpoint_due_at_start_is_signed_before_the_first_request(scratch_app: Any) -> None:
    app = scratch_app(AUDIT_CHECKPOINT_EVERY=2, AUDIT_CHECKPOINT_MINUTES=0)
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    policy = app.extensions["audit_checkpoints"]
    app.extensions["audit_checkpoints"] = dataclasses.replace(policy, every_events=0)
    _assessor_and_person(app)  # events appended while none was due (checkpoints off)
    app.extensions["audit_checkpoints"] = policy
    before = _state(app, checkpoints)
    signed_before = before["rows"]["audit_checkpoints"]

    number = checkpoint_if_due_at_start(app)

    assert number is not None
    after = _state(app, checkpoints)
    assert after["rows"] == {**before["rows"], "audit_checkpoints": signed_before + 1}
    assert after["heads"] == before["heads"]
    with app.app_context():
        row = db.session.scalars(
            select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
        ).one()
        assert row.id == number
        assert row.head_event_id == max(head.id for head in before["heads"].values())
        db.session.remove()
    # Filed, as at a commit: one line more.
    assert after["file"].startswith(before["file"])
    assert after["file"][len(before["file"]) :].count(b"\n") == 1
    # Signed now, so none is due until more events come: neither again nor at the first commit.
    assert checkpoint_if_due_at_start(app) is None
    assert _state(app, checkpoints) == after


def test_no_checkpoint_is_signed_at_start_with_no_event_since_the_last(scratch_app: Any) -> None:
    empty = scratch_app(seed=False, AUDIT_CHECKPOINT_EVERY=1)
    assert checkpoint_if_due_at_start(empty) is None  # no event at all: nothing to sign
    with empty.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 0
        db.session.remove()
    app = scratch_app(AUDIT_CHECKPOINT_EVERY=1000, AUDIT_CHECKPOINT_MINUTES=0)
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    _assessor_and_person(app)
    checkpoint_if_due_at_start(app)  # the last checkpoint now signs the trail's last event
    before = _state(app, checkpoints)
    assert before["rows"]["audit_checkpoints"] >= 1

    assert checkpoint_if_due_at_start(app) is None  # nothing since, and not due

    assert _state(app, checkpoints) == before
    off = scratch_app(AUDIT_CHECKPOINT_EVERY=0, AUDIT_CHECKPOINT_MINUTES=0)
    assert checkpoint_if_due_at_start(off) is None  # automatic checkpoints off: none at start
    assert _state(app, checkpoints) == before


def test_after_a_start_the_first_commit_signs_no_checkpoint(
    scratch_app: Any, tmp_path: Path
) -> None:
    # The warm-up's rolled-back submissions leave a gap in the events' ids (PostgreSQL), which
    # brought the next checkpoint (due by count of ids) to the first commit after start.
    app = scratch_app(AUDIT_CHECKPOINT_EVERY=100, AUDIT_CHECKPOINT_MINUTES=0)
    checkpoints = Path(app.config["AUDIT_CHECKPOINT_FILE"])
    actor = _assessor_and_person(app)
    policy = app.extensions["audit_checkpoints"]
    warm_up(app)
    assert checkpoint_if_due_at_start(app) is not None  # events since the last one
    signed = _state(app, checkpoints)["rows"]["audit_checkpoints"]
    _record_person(app, actor, "Ben", date(1961, 2, 3), 5)  # the first request's commit
    assert _state(app, checkpoints)["rows"]["audit_checkpoints"] == signed
    assert policy is app.extensions["audit_checkpoints"]
