"""Refused attempts on a person's record are audited, on both doors.

The request the policy refuses rolls back (its 404 or 403 leaves nothing of its own), and the
refusal is written as an ``access.refused`` event in a short transaction of its own: what was
asked, why it was refused, what was answered; never answers. It shows on "who has seen this
record" as a refused attempt.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from assessment_engine.assessments.models import AssessmentStatus
from assessment_engine.kernel.audit import REFUSED
from assessment_engine.kernel.models import AuditEvent

from ..records import builders
from .conftest import joint_assessment

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"


def _events(db_session: Any, client_id: Any, action: str = REFUSED) -> list[AuditEvent]:
    return list(
        db_session.scalars(
            select(AuditEvent)
            .where(AuditEvent.client_id == client_id, AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
    )


def _declined_for_nhs(factories: Any, db_session: Any, person: Any) -> None:
    recorder = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    builders.decline_sharing(db_session, person, recorder, factories.organisation(NHS))
    factories.settle()


def _council_row(factories: Any, db_session: Any, status: AssessmentStatus) -> tuple[Any, Any]:
    """A council person and an assessment of theirs by a council assessor, in ``status``."""
    person = factories.client(org=COUNCIL)
    author = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    builders.tiny_version(db_session)
    return person, builders.assessment(db_session, person, author, status=status)


def test_a_refused_page_is_audited_and_shown_on_who_has_seen_the_record(
    client: Any, factories: Any, db_session: Any, login_as: Any
) -> None:
    person = factories.client(org=COUNCIL)
    _declined_for_nhs(factories, db_session, person)
    nurse = login_as("assessor", NHS)
    assert client.get(f"/people/{person.id}/timeline").status_code == 404
    [refused] = _events(db_session, person.id)
    assert refused.user_id == nurse.id
    assert refused.record_type == "client" and refused.record_id == str(person.id)
    assert refused.detail == {"asked": "client.timeline", "reason": "declined", "answered": 404}
    # The request's own work rolled back: no "read the timeline" was recorded.
    assert _events(db_session, person.id, "client.timeline") == []

    login_as("team_manager", COUNCIL)
    html = client.get(f"/people/{person.id}/seen-by").get_data(as_text=True)
    assert "Refused: Read the timeline (declined)" in html


def test_another_organisations_draft_refused_on_the_pages_is_audited(
    client: Any, factories: Any, db_session: Any, login_as: Any
) -> None:
    person, draft = _council_row(factories, db_session, AssessmentStatus.DRAFT)
    login_as("assessor", NHS)
    response = client.post_form(f"/assessments/{draft.id}/submit", {"version": str(draft.version)})
    assert response.status_code == 403
    [refused] = _events(db_session, person.id)
    assert refused.record_type == "assessment" and refused.record_id == str(draft.id)
    assert refused.detail["reason"] == "another organisation's draft"
    assert refused.detail["answered"] == 403
    db_session.refresh(draft)
    assert draft.status is AssessmentStatus.DRAFT


def test_an_administrator_refused_answers_is_audited(
    client: Any, factories: Any, db_session: Any, login_as: Any
) -> None:
    person, done = _council_row(factories, db_session, AssessmentStatus.SUBMITTED)
    login_as("administrator", COUNCIL)
    assert client.get(f"/assessments/{done.id}/answers").status_code == 403
    [refused] = _events(db_session, person.id)
    assert refused.detail["reason"] == "administrator"


def test_no_record_no_refused_attempt(
    client: Any, factories: Any, db_session: Any, login_as: Any
) -> None:
    login_as("assessor", NHS)
    missing = uuid.uuid4()
    assert client.get(f"/people/{missing}/timeline").status_code == 404
    assert db_session.scalars(select(AuditEvent).where(AuditEvent.action == REFUSED)).all() == []


def _council_assessment(api_as: Any, db_session: Any, person: Any, example: Any, kind: str) -> Any:
    return joint_assessment(
        api_as(COUNCIL), db_session, person, example("carer-under-strain"), kind
    )


def test_a_refused_api_request_is_audited_without_answers(
    api_as: Any, questionnaires: Any, factories: Any, db_session: Any, example: Any
) -> None:
    person = factories.client(org=COUNCIL)
    done = _council_assessment(api_as, db_session, person, example, "submitted")
    _declined_for_nhs(factories, db_session, person)
    nhs = api_as(NHS)
    assert nhs.get(f"/api/v1/assessments/{done.id}/answers").status_code == 404
    [refused] = _events(db_session, person.id)
    assert refused.actor.startswith("api:")
    assert refused.record_type == "assessment" and refused.record_id == str(done.id)
    assert refused.detail["reason"] == "declined" and refused.detail["answered"] == 404
    written = json.dumps(refused.detail)
    assert all(
        str(value) not in written
        for section in done.answers.values()
        for value in section.values()
        if isinstance(value, str) and len(value) > 3
    )


def test_another_organisations_draft_refused_on_the_api_is_audited(
    api_as: Any, questionnaires: Any, factories: Any, db_session: Any, example: Any
) -> None:
    person = factories.client(org=COUNCIL)
    draft = _council_assessment(api_as, db_session, person, example, "draft")
    response = api_as(NHS).patch(
        f"/api/v1/assessments/{draft.id}",
        {"answers": draft.answers},
        headers={"If-Match": '"whatever"'},
    )
    assert response.status_code == 403, response.get_json()
    [refused] = _events(db_session, person.id)
    assert refused.detail["reason"] == "another organisation's draft"
    assert refused.detail["answered"] == 403
