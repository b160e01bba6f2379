"""Sign-off, co-signature and amendments (assessments.lifecycle), with the real PHQ-9 rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from assessment_engine.assessments import lifecycle, services
from assessment_engine.assessments.models import Assessment, AssessmentStatus
from assessment_engine.assessments.timeline import client_timeline
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import write_pending
from assessment_engine.questionnaires.models import ImmutableRecordError
from assessment_engine.records.models import AuditEvent

from ..records import builders

ROOT = Path(__file__).resolve().parents[2]
COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"


def _example(name: str) -> dict:
    return json.loads((ROOT / "form_schemas" / "phq-9" / "examples" / f"{name}.json").read_text())


@pytest.fixture
def phq9(app, db_session, tmp_path):
    version = builders.load_phq9(db_session, app, tmp_path)
    prepared = services.prepare_version(db_session, app.extensions["assessment_versions"], version)
    return version, prepared


@pytest.fixture
def submitted(factories, db_session, phq9):
    """A PHQ-9 assessment by a council assessor, submitted with moderate answers."""
    version, prepared = phq9
    assessor = factories.user("assessor", COUNCIL)
    actor = Actor.for_user(assessor)
    person = factories.client()
    assessment = services.start_assessment(db_session, actor, person, version)
    services.save_answers(
        db_session, actor, assessment, prepared, _example("moderate"), expected_version=None
    )
    services.submit(db_session, actor, assessment, prepared, expected_version=assessment.version)
    return assessment, actor


def test_its_assessor_signs_off_and_nobody_else(factories, db_session, submitted) -> None:
    assessment, actor = submitted
    colleague = Actor.for_user(factories.user("assessor", COUNCIL))
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.sign_off(db_session, colleague, assessment, expected_version=None)
    with pytest.raises(services.StaleEdit):
        lifecycle.sign_off(db_session, actor, assessment, expected_version=assessment.version - 1)
    lifecycle.sign_off(db_session, actor, assessment, expected_version=assessment.version)
    assert assessment.status is AssessmentStatus.SIGNED_OFF
    assert assessment.signed_off_by_id == actor.user_id
    write_pending(db_session)  # as the commit does
    assert db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "assessment.sign_off", AuditEvent.record_id == str(assessment.id)
        )
    )


def test_a_signed_off_assessment_never_changes_orm_services_and_database(
    factories, db_session, submitted, phq9
) -> None:
    assessment, actor = submitted
    lifecycle.sign_off(db_session, actor, assessment, expected_version=None)
    db_session.flush()
    # Through the services: a signed-off assessment is not editable.
    with pytest.raises(services.NotEditable):
        services.save_answers(
            db_session, actor, assessment, phq9[1], _example("minimal"), expected_version=None
        )
    # Through the ORM: the before_update listener refuses.
    assessment.answers = _example("minimal")
    with pytest.raises(ImmutableRecordError):
        db_session.flush()
    db_session.rollback()


def test_the_database_refuses_a_change_to_a_signed_off_assessment(factories, db_session) -> None:
    assessor = factories.user("assessor", COUNCIL)
    signed = builders.assessment(
        db_session, factories.client(), assessor, status=AssessmentStatus.SIGNED_OFF
    )
    key = signed.id.hex if db_session.bind.dialect.name == "sqlite" else signed.id
    for statement in (
        "UPDATE assessments SET answers = '{}' WHERE id = :id",
        "UPDATE assessments SET status = 'draft' WHERE id = :id",
        "DELETE FROM assessments WHERE id = :id",
    ):
        nested = db_session.begin_nested()
        with pytest.raises(DBAPIError):
            db_session.execute(text(statement), {"id": key})
        nested.rollback()


def test_co_signed_once_by_another_partner_and_the_database_allows_it(
    factories, db_session, submitted
) -> None:
    assessment, actor = submitted
    lifecycle.sign_off(db_session, actor, assessment, expected_version=None)
    same_org = Actor.for_user(factories.user("assessor", COUNCIL))
    nurse = Actor.for_user(factories.user("assessor", NHS))
    manager = Actor.for_user(factories.user("team_manager", NHS))
    for refused in (same_org, manager, actor):
        with pytest.raises(lifecycle.NotAllowed):
            lifecycle.co_sign(db_session, refused, assessment, expected_version=None)
    lifecycle.co_sign(db_session, nurse, assessment, expected_version=assessment.version)
    db_session.flush()  # the trigger lets a co-signature through
    db_session.expire_all()
    assert assessment.cosigned_by_id == nurse.user_id
    other = Actor.for_user(factories.user("assessor", NHS))
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.co_sign(db_session, other, assessment, expected_version=None)


def test_an_amendment_is_a_linked_draft_with_its_own_decision_and_a_diff(
    factories, db_session, submitted, phq9
) -> None:
    _version, prepared = phq9
    original, actor = submitted
    lifecycle.sign_off(db_session, actor, original, expected_version=None)
    first_decision = services.current_decision(original)

    with pytest.raises(lifecycle.NotAllowed):  # another partner does not amend our assessment
        lifecycle.amend(
            db_session,
            Actor.for_user(factories.user("assessor", NHS)),
            original,
            expected_version=None,
        )
    amendment = lifecycle.amend(db_session, actor, original, expected_version=original.version)
    assert amendment.status is AssessmentStatus.DRAFT and amendment.amends_id == original.id
    assert amendment.answers == original.answers
    assert amendment.questionnaire_version_id == original.questionnaire_version_id
    with pytest.raises(lifecycle.NotAllowed, match="already been amended"):
        lifecycle.amend(db_session, actor, original, expected_version=None)

    changed = _example("moderate")
    changed["phq9"]["item9"] = 1  # thoughts of self-harm: same-day, critical
    services.save_answers(db_session, actor, amendment, prepared, changed, expected_version=None)
    decision = services.submit(db_session, actor, amendment, prepared, expected_version=None)
    assert decision.assessment_id == amendment.id and decision.id != first_decision.id
    assert decision.priority.value == "critical"
    assert original.answers == _example("moderate")  # untouched

    changes = lifecycle.what_changed(
        prepared.questionnaire.structure, original.answers, amendment.answers
    )
    assert [(c.pointer, c.before, c.after, c.kind) for c in changes] == [
        ("/phq9/item9", "Not at all", "Several days", "changed")
    ]
    assert changes[0].question.startswith("Thoughts that you would be better off dead")

    titles = [e.title for e in client_timeline(db_session, original.client_id)]
    assert any(t.startswith("Amendment submitted") for t in titles)
    assert any(t.startswith("Amendment started") for t in titles)
    assert any(t.startswith("Assessment signed off") for t in titles)
    assert sum(t.startswith("Decision:") for t in titles) == 2


def test_the_what_changed_page(client, factories, db_session, submitted, phq9) -> None:
    original, actor = submitted
    lifecycle.sign_off(db_session, actor, original, expected_version=None)
    amendment = lifecycle.amend(db_session, actor, original, expected_version=None)
    changed = _example("moderate")
    changed["phq9"]["item1"] = 3
    services.save_answers(db_session, actor, amendment, phq9[1], changed, expected_version=None)
    user = db_session.get(type(factories.user()), actor.user_id)
    client.post_form("/sign-in", {"email": user.email, "password": factories.PASSWORD})
    html = client.get(f"/assessments/{amendment.id}/changes").get_data(as_text=True)
    assert "Little interest or pleasure in doing things" in html
    assert "More than half the days" in html and "Nearly every day" in html
    assert "1 answer changed" in html


def test_sign_off_amend_and_co_sign_through_the_pages(client, factories, db_session, submitted):
    original, actor = submitted
    user = db_session.get(type(factories.user()), actor.user_id)
    client.post_form("/sign-in", {"email": user.email, "password": factories.PASSWORD})
    url = f"/assessments/{original.id}"
    html = client.get(f"{url}/sign-off").get_data(as_text=True)
    assert "Sign off" in html
    stale = client.post_form(
        f"{url}/sign-off", {"version": str(original.version - 1), "confirm": "y"}
    )
    assert stale.status_code == 302
    assert "Someone else changed" in client.get(stale.location).get_data(as_text=True)
    assert "What you are signing off" in html and "Referrals" in html
    unconfirmed = client.post_form(f"{url}/sign-off", {"version": str(original.version)})
    assert unconfirmed.status_code == 422
    assert "Confirm that you have checked what you are signing off" in unconfirmed.get_data(
        as_text=True
    )
    db_session.expire_all()
    assert db_session.get(Assessment, original.id).status is AssessmentStatus.SUBMITTED
    response = client.post_form(
        f"{url}/sign-off", {"version": str(original.version), "confirm": "y"}
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Assessment, original.id).status is AssessmentStatus.SIGNED_OFF
    current = db_session.get(Assessment, original.id).version
    response = client.post_form(f"{url}/amend", {"version": str(current)})
    assert response.status_code == 302 and "/assessments/" in response.location
    amendment = db_session.scalar(select(Assessment).where(Assessment.amends_id == original.id))
    assert amendment is not None and amendment.status is AssessmentStatus.DRAFT
