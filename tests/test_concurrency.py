"""Two editors race on the same record, assessment and referral, with real separate connections
and transactions (the per-test SAVEPOINT fixture cannot do this): exactly one save wins, the
other gets a clear "someone else changed it" and nothing is overwritten.

Runs on its own database: a SQLite file in tmp_path, or a scratch PostgreSQL database next to
ASSESSMENT_TEST_DATABASE_URL, built by the migrations and removed afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from assessment_engine.assessments import lifecycle, queue, referrals
from assessment_engine.assessments.models import (
    Assessment,
    AssessmentStatus,
    Referral,
    ReferralStatus,
)
from assessment_engine.assessments.services import StaleEdit
from assessment_engine.auth.models import User
from assessment_engine.extensions import db
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import verify_chain
from assessment_engine.partners.services import ensure_organisation
from assessment_engine.records import services as records
from assessment_engine.records.models import AuditEvent, Client

from .records import builders


@pytest.fixture
def race_app(scratch_app: Any) -> Flask:
    return scratch_app(seed=False)


def _seed(app: Flask) -> dict[str, Any]:
    """A council client, two council users, a submitted assessment and a pending referral."""
    from assessment_engine.partners.models import OrganisationKind

    with app.app_context():
        session = db.session
        council, _ = ensure_organisation(
            session, slug="council", name="Council", kind=OrganisationKind.SOCIAL_CARE
        )
        manager_a = builders.user(session, "team_manager", council)
        manager_b = builders.user(session, "team_manager", council)
        assessor = builders.user(session, "assessor", council)
        actor = Actor.for_user(assessor)
        person = records.create_client(session, actor, _details())
        submitted = builders.assessment(session, person, assessor)
        made = builders.decision(session, submitted)
        referral = builders.referral(session, made, builders.service_of(session, council))
        session.commit()
        return {
            "client": person.id,
            "assessment": submitted.id,
            "referral": referral.id,
            "assessor": assessor.id,
            "managers": (manager_a.id, manager_b.id),
        }


def _details() -> records.ClientDetails:
    from datetime import date

    return records.ClientDetails(
        chi="1904851231", given_name="Isla", family_name="Brown", date_of_birth=date(1985, 4, 19)
    )


def _race(app: Flask, editors: list[Callable[[Any], str]]) -> list[str]:
    """Run each editor in its own thread, app context, session and connection, all at once."""
    barrier = threading.Barrier(len(editors))
    results: list[str] = [""] * len(editors)

    def run(index: int, edit: Callable[[Any], str]) -> None:
        with app.app_context():
            session = db.session
            barrier.wait()
            try:
                results[index] = edit(session)
                session.commit()
            except (records.StaleRecord, StaleEdit, referrals.StaleReferral):
                session.rollback()
                results[index] = "stale"
            except Exception as exc:  # pragma: no cover - shown in the assertion
                session.rollback()
                results[index] = f"error: {exc!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, e)) for i, e in enumerate(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_editors_race_on_a_record_an_assessment_and_a_referral(race_app: Flask) -> None:
    ids = _seed(race_app)

    def edit_name(name: str) -> Callable[[Any], str]:
        def edit(session: Any) -> str:
            user = session.get(User, ids["assessor"])
            person = session.get(Client, ids["client"])
            details = records.details_of(person)
            details.given_name = name
            records.update_client(
                session, Actor.for_user(user), person, details, expected_version=1
            )
            return name

        return edit

    results = _race(race_app, [edit_name("Ishbel"), edit_name("Isobel")])
    assert sorted(r if r == "stale" else "saved" for r in results) == ["saved", "stale"], results
    winner = next(r for r in results if r != "stale")
    with race_app.app_context():
        person = db.session.get(Client, ids["client"])
        assert person.given_name == winner and person.version == 2
        updates = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "client.update")
        )
        assert updates == 1  # the loser's audit event went with its transaction

    def sign_off(session: Any) -> str:
        user = session.get(User, ids["assessor"])
        assessment = session.get(Assessment, ids["assessment"])
        lifecycle.sign_off(session, Actor.for_user(user), assessment, expected_version=1)
        return "signed"

    results = _race(race_app, [sign_off, sign_off])
    assert sorted(results) == ["signed", "stale"], results
    with race_app.app_context():
        assessment = db.session.get(Assessment, ids["assessment"])
        assert assessment.status is AssessmentStatus.SIGNED_OFF

    def accept(manager_id: int) -> Callable[[Any], str]:
        def edit(session: Any) -> str:
            actor = Actor.for_user(session.get(User, manager_id))
            referral = referrals.referral_for(session, actor, ids["referral"])
            queue.accept(session, actor, referral, expected_version=1, worker_id=manager_id)
            return str(manager_id)

        return edit

    results = _race(race_app, [accept(m) for m in ids["managers"]])
    assert sorted(r if r == "stale" else "accepted" for r in results) == ["accepted", "stale"]
    winner_id = int(next(r for r in results if r != "stale"))
    with race_app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        assert referral.status is ReferralStatus.ACCEPTED
        assert referral.assigned_to_id == winner_id and referral.version == 2
        assert verify_chain(db.session).ok  # concurrent appends kept the chain whole


def test_a_stale_save_is_refused_by_the_database_itself(race_app: Flask) -> None:
    """Editor B still holds version 1 in memory when A saves version 2: B's UPDATE (which says
    ``WHERE version = 1``) changes nothing, and that becomes the same clear StaleRecord."""
    from sqlalchemy.orm import Session

    ids = _seed(race_app)
    with race_app.app_context():
        a, b = Session(db.engine), Session(db.engine, expire_on_commit=False)
        try:
            person_b = b.get(Client, ids["client"])
            actor_b = Actor.for_user(b.get(User, ids["assessor"]))
            b.commit()  # B's form is on screen; its transaction is over

            person_a = a.get(Client, ids["client"])
            details = records.details_of(person_a)
            details.given_name = "Ailsa"
            records.update_client(
                a,
                Actor.for_user(a.get(User, ids["assessor"])),
                person_a,
                details,
                expected_version=1,
            )
            a.commit()

            details = records.details_of(person_b)
            details.given_name = "Beth"
            assert person_b.version == 1  # B passes the early check ...
            with pytest.raises(records.StaleRecord):  # ... and the database refuses
                records.update_client(b, actor_b, person_b, details, expected_version=1)
            b.rollback()
        finally:
            a.close()
            b.close()
        assert db.session.get(Client, ids["client"]).given_name == "Ailsa"


def test_a_draft_save_that_loses_the_race_in_the_database_is_stale(race_app: Flask) -> None:
    """The same for a draft's answers: B's early check passes, the database refuses its
    UPDATE, and B is told its save is stale (not an error page)."""
    from sqlalchemy.orm import Session

    from assessment_engine.assessments import services

    ids = _seed(race_app)
    cache = race_app.extensions["assessment_versions"]
    with race_app.app_context():
        person = db.session.get(Client, ids["client"])
        assessor = db.session.get(User, ids["assessor"])
        draft_id = builders.assessment(
            db.session, person, assessor, status=AssessmentStatus.DRAFT
        ).id
        db.session.commit()
        a, b = Session(db.engine), Session(db.engine, expire_on_commit=False)
        try:
            draft_b = b.get(Assessment, draft_id)
            actor_b = Actor.for_user(b.get(User, ids["assessor"]))
            prepared_b = services.prepare_version(b, cache, draft_b.questionnaire_version)
            b.commit()  # B's page is on screen; its transaction is over

            draft_a = a.get(Assessment, draft_id)
            services.save_answers(
                a,
                Actor.for_user(a.get(User, ids["assessor"])),
                draft_a,
                services.prepare_version(a, cache, draft_a.questionnaire_version),
                {"about": {"name": "Ailsa"}},
                expected_version=1,
            )
            a.commit()

            assert draft_b.version == 1  # B passes the early check ...
            with pytest.raises(StaleEdit):  # ... and the database refuses
                services.save_answers(
                    b, actor_b, draft_b, prepared_b, {"about": {"name": "Beth"}}, expected_version=1
                )
            b.rollback()
        finally:
            a.close()
            b.close()
        assert db.session.get(Assessment, draft_id).answers["about"]["name"] == "Ailsa"
