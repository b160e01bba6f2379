"""Every table a signed-off (or submitted) assessment is made of refuses changes in SQL.

Each statement is what someone with a database connection would try; the database's triggers
refuse it whatever the application does. The allowed changes go through.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assessment_engine.assessments.models import AssessmentStatus
from assessment_engine.db import utcnow

from ..records import builders

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"


@dataclass
class Scene:
    ids: dict[str, Any]
    users: dict[str, int]


def _key(db_session: Any, value: uuid.UUID) -> Any:
    return value.hex if db_session.bind.dialect.name == "sqlite" else value


def _scene(factories: Any, db_session: Any, status: AssessmentStatus) -> Scene:
    assessor = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    nurse = builders.user(db_session, "assessor", factories.organisation(NHS))
    person = factories.client()
    row = builders.assessment(db_session, person, assessor)
    made = builders.decision(db_session, row)
    referral = builders.referral(
        db_session, made, builders.service_of(db_session, factories.organisation(COUNCIL))
    )
    other = builders.assessment(db_session, person, assessor)
    other_decision = builders.decision(db_session, other)
    if status is AssessmentStatus.SIGNED_OFF:
        row.status = AssessmentStatus.SIGNED_OFF
        row.signed_off_at = utcnow()
        row.signed_off_by_id = assessor.id
        db_session.flush()
    ids = {
        "a": _key(db_session, row.id),
        "d": _key(db_session, made.id),
        "r": _key(db_session, referral.id),
        "other_d": _key(db_session, other_decision.id),
        "client": _key(db_session, person.id),
        "service": referral.service_id,
        "org": referral.organisation_id,
    }
    return Scene(ids, {"assessor": assessor.id, "nurse": nurse.id})


def _refused(db_session: Any, statement: str, params: dict[str, Any], message: str) -> None:
    nested = db_session.begin_nested()
    with pytest.raises(DBAPIError, match=message):
        db_session.execute(text(statement), params)
    nested.rollback()


def _allowed(db_session: Any, statement: str, params: dict[str, Any]) -> None:
    nested = db_session.begin_nested()
    result = db_session.execute(text(statement), params)
    assert result.rowcount == 1
    nested.commit()


SIGNED_OFF_REFUSED = [
    ("UPDATE assessments SET answers = '{}' WHERE id = :a", "signed-off assessment cannot"),
    ("UPDATE assessments SET status = 'submitted' WHERE id = :a", "signed-off assessment cannot"),
    ("UPDATE assessments SET signed_off_by_id = :nurse WHERE id = :a", "signed-off"),
    ("UPDATE assessments SET signed_off_at = :now WHERE id = :a", "signed-off"),
    ("UPDATE assessments SET submitted_by_id = :nurse WHERE id = :a", "signed-off"),
    ("UPDATE assessments SET organisation_id = :org + 1 WHERE id = :a", "signed-off"),
    ("UPDATE assessments SET started_by_id = :nurse WHERE id = :a", "signed-off"),
    ("DELETE FROM assessments WHERE id = :a", "is kept"),
    ("UPDATE decisions SET route = 'health' WHERE id = :d", "signed-off assessment cannot"),
    ("UPDATE decisions SET priority = 'critical' WHERE id = :d", "signed-off"),
    ("UPDATE decisions SET outcome = '{\"services\": [1]}' WHERE id = :d", "cannot change"),
    ("UPDATE decisions SET override_reason = 'later' WHERE id = :d", "signed-off"),
    ("UPDATE decisions SET computed_route = 'health' WHERE id = :d", "cannot change"),
    ("DELETE FROM decisions WHERE id = :d", "are kept"),
    ("DELETE FROM referrals WHERE id = :r", "are kept"),
    ("UPDATE referrals SET decision_id = :other_d WHERE id = :r", "cannot change"),
    ("UPDATE referrals SET assessment_id = NULL WHERE id = :r", "(?i)null"),
    ("UPDATE referrals SET service_id = :service + 1000 WHERE id = :r", "cannot change"),
    ("UPDATE referrals SET priority = 'critical' WHERE id = :r", "keeps its priority"),
    ("UPDATE referrals SET urgency = 'same_day' WHERE id = :r", "keeps its priority"),
]


def _params(scene: Scene) -> dict[str, Any]:
    return {
        **scene.ids,
        **scene.users,
        "now": utcnow(),
    }


@pytest.mark.parametrize(("statement", "message"), SIGNED_OFF_REFUSED)
def test_sql_cannot_change_a_signed_off_assessment(
    factories, db_session, statement, message
) -> None:
    scene = _scene(factories, db_session, AssessmentStatus.SIGNED_OFF)
    params = _params(scene)
    _refused(db_session, statement, params, message)


def test_the_documented_changes_to_a_signed_off_assessment_go_through(
    factories, db_session
) -> None:
    scene = _scene(factories, db_session, AssessmentStatus.SIGNED_OFF)
    params = _params(scene)
    for statement in (
        (
            "UPDATE referrals SET status = 'accepted', accepted_at = :now,"
            " accepted_by_id = :assessor, assigned_to_id = :assessor WHERE id = :r"
        ),
        (
            "UPDATE referrals SET status = 'completed', completed_at = :now,"
            " version = version + 1 WHERE id = :r"
        ),
        (
            "UPDATE assessments SET cosigned_at = :now, cosigned_by_id = :nurse,"
            " version = version + 1 WHERE id = :a"
        ),
    ):
        _allowed(db_session, statement, params)
    # ... and the co-signature is set once.
    _refused(
        db_session,
        "UPDATE assessments SET cosigned_by_id = :assessor WHERE id = :a",
        params,
        "signed-off assessment cannot",
    )
    _refused(
        db_session, "UPDATE assessments SET cosigned_at = NULL WHERE id = :a", params, "signed-off"
    )


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE assessments SET answers = '{}' WHERE id = :a", "answers cannot change"),
        ("UPDATE assessments SET status = 'draft' WHERE id = :a", "answers cannot change"),
        ("UPDATE assessments SET client_id = NULL WHERE id = :a", "(?i)null"),
        ("DELETE FROM assessments WHERE id = :a", "is kept"),
        ("UPDATE decisions SET outcome = '{}' WHERE id = :d", "computed result"),
        ("UPDATE decisions SET computed_priority = 'low' WHERE id = :d", "computed result"),
        ("DELETE FROM decisions WHERE id = :d", "are kept"),
        ("DELETE FROM referrals WHERE id = :r", "are kept"),
        ("UPDATE referrals SET decision_id = :other_d WHERE id = :r", "cannot change"),
    ],
)
def test_sql_cannot_change_a_submitted_assessments_answers_or_result(
    factories, db_session, statement, message
) -> None:
    scene = _scene(factories, db_session, AssessmentStatus.SUBMITTED)
    _refused(db_session, statement, _params(scene), message)


def test_a_submitted_assessment_can_still_be_overridden_and_signed_off(
    factories, db_session
) -> None:
    scene = _scene(factories, db_session, AssessmentStatus.SUBMITTED)
    params = _params(scene)
    for statement in (
        (
            "UPDATE decisions SET route = 'health', priority = 'critical',"
            " override_reason = 'seen', overridden_by_id = :assessor, overridden_at = :now"
            " WHERE id = :d"
        ),
        "UPDATE referrals SET priority = 'critical' WHERE id = :r",
        (
            "UPDATE assessments SET status = 'signed_off', signed_off_at = :now,"
            " signed_off_by_id = :assessor WHERE id = :a"
        ),
    ):
        _allowed(db_session, statement, params)
