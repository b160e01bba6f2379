"""The answers of a submitted assessment, in the person's words: the page and its API."""

from __future__ import annotations

from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import select

from assessment_engine.assessments import lifecycle, services
from assessment_engine.kernel.actor import Actor
from assessment_engine.records.models import AuditEvent
from assessment_engine.scoring.pointers import parse_pointer, resolve

from ..factories import example_answers
from ..records import builders

EXAMPLE = "depression-with-self-harm-thoughts"


@pytest.fixture
def submitted(app, db_session, factories):
    """A council assessor's submitted assessment; the crisis referral goes to NHS Tayside."""
    user = factories.user("assessor", org="perth-kinross-council", name="Sam Reid")
    person = factories.client("Morag", "McDonald")
    assessment = factories.submitted(app, example_answers(EXAMPLE), user, client=person)
    db_session.commit()
    return user, assessment


def _leaves(value: Any, pointer: str = "") -> dict[str, Any]:
    """Every answered leaf of an answers document, by pointer (lists of scalars are leaves)."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(_leaves(inner, f"{pointer}/{key}"))
        return found
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        found = {}
        for index, inner in enumerate(value):
            found.update(_leaves(inner, f"{pointer}/{index}"))
        return found
    return {pointer: value}


def _api_sheet(api_as, assessment) -> dict[str, Any]:
    api = api_as("nhs-tayside", ["assessments:read"])
    response = api.get(f"/api/v1/assessments/{assessment.id}/answers")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_api_gives_every_submitted_answer_with_its_questions_words(
    app, api_as, submitted, db_session
) -> None:
    _user, assessment = submitted
    sheet = _api_sheet(api_as, assessment)
    answers = example_answers(EXAMPLE)
    assert sheet["status"] == "submitted" and sheet["organisation"] == "perth-kinross-council"
    structure = services.prepare_version(
        db_session, app.extensions["assessment_versions"], assessment.questionnaire_version
    ).questionnaire.structure
    assert [s["title"] for s in sheet["sections"]] == [str(s.title) for s in structure.sections]
    lines = [line for section in sheet["sections"] for line in section["answers"]]
    assert len(lines) > 50
    for line in lines:
        # Each value is what was submitted at that pointer...
        assert line["value"] == resolve(answers, parse_pointer(line["pointer"]))
        # ...under the question's own words (a repeating group's item is named by its label).
        question = structure.question(line["pointer"])
        if question is not None and question.type.takes_answer:
            assert line["question"] == question.title
    # Every submitted answer is there: directly, or inside its repeating group's item.
    pointers = {line["pointer"] for line in lines}
    missing = [
        p for p in _leaves(answers) if not any(p == q or p.startswith(q + "/") for q in pointers)
    ]
    assert missing == []
    by_pointer = {line["pointer"]: line for line in lines}
    what_matters = by_pointer["/about/what_matters"]
    assert what_matters["answer"] == "“Getting back to work. Not feeling like this.”"
    medicine = by_pointer["/health/medicines/0"]
    assert "Sertraline" in medicine["answer"] and "50mg once a day" in medicine["answer"]


def test_the_page_shows_the_same_answers_as_the_api(
    client, login_as, api_as, submitted, db_session
) -> None:
    _user, assessment = submitted
    sheet = _api_sheet(api_as, assessment)
    login_as("team_manager", "nhs-tayside")
    response = client.get(f"/assessments/{assessment.id}/answers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Sam Reid, Perth and Kinross Council" in html
    for section in sheet["sections"]:
        assert str(escape(section["title"])) in html
        for line in section["answers"]:
            assert str(escape(line["question"])) in html
            for part in line["answer"].split("\n"):
                assert str(escape(part)) in html
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "assessment.answers",
            AuditEvent.record_id == str(assessment.id),
        )
    ).all()
    assert len(events) == 2  # the API's read and the page's


def test_the_outcome_the_record_and_the_timeline_link_to_the_answers(
    client, login_as, submitted
) -> None:
    _user, assessment = submitted
    login_as("assessor", "perth-kinross-council")
    target = f'href="/assessments/{assessment.id}/answers"'
    for page in (
        f"/assessments/{assessment.id}/outcome",
        f"/people/{assessment.client_id}",
        f"/people/{assessment.client_id}/timeline",
    ):
        assert target in client.get(page).get_data(as_text=True), page


def test_a_partner_the_person_declined_and_administrators_cannot_read_them(
    client, login_as, api_as, submitted, db_session, factories
) -> None:
    user, assessment = submitted
    builders.decline_sharing(
        db_session, assessment.client, user, factories.organisation("community-link")
    )
    db_session.commit()
    api = api_as("community-link", ["assessments:read"])
    assert api.get(f"/api/v1/assessments/{assessment.id}/answers").status_code == 404
    login_as("team_manager", "community-link")
    assert client.get(f"/assessments/{assessment.id}/answers").status_code == 404
    client.post_form("/sign-out")
    login_as("administrator", "perth-kinross-council")
    assert client.get(f"/assessments/{assessment.id}/answers").status_code == 403


def test_signed_off_and_amended_assessments_say_so_and_link_both_ways(
    app, client, login_as, submitted, db_session
) -> None:
    user, assessment = submitted
    actor = Actor.for_user(user)
    lifecycle.sign_off(db_session, actor, assessment, expected_version=assessment.version)
    newer = lifecycle.amend(db_session, actor, assessment, expected_version=assessment.version)
    db_session.commit()
    login_as("team_manager", "nhs-tayside")
    html = client.get(f"/assessments/{assessment.id}/answers").get_data(as_text=True)
    assert "Signed off" in html and f'href="/assessments/{newer.id}/answers"' in html
    html = client.get(f"/assessments/{newer.id}/answers").get_data(as_text=True)
    assert f'href="/assessments/{assessment.id}/answers"' in html
