"""Reviews: answers carry forward by question id where the new version still accepts them."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from assessment_engine.assessments.models import Assessment, AssessmentStatus
from assessment_engine.assessments.review import carry_forward
from assessment_engine.db import utcnow
from assessment_engine.questionnaires.runtime import prepare, registry_of
from assessment_engine.questionnaires.services import find_version

from ..factories import example_answers

get_version = partial(find_version, drafts=True)


def _variant(app: Any, db_session: Any, change: Any) -> Any:
    """A prepared phq-9 'version 2' built from version 1 with ``change`` applied."""
    v1 = get_version(db_session, "phq-9", 1)
    document = copy.deepcopy(v1.document)
    document["$id"] = document["$id"].replace("/v1.json", "/v2.json")
    change(document)
    cache = app.extensions["assessment_versions"]
    return prepare(
        key="phq-9",
        version=2,
        document=document,
        rules=None,
        test_cases=None,
        extensions=cache.extensions,
        registry=registry_of([document]),
        rule_registry=cache.rule_registry,
        services=None,
    )


def _v1(app: Any, db_session: Any) -> Any:
    from assessment_engine.questionnaires.services import prepared

    return prepared(
        db_session, app.extensions["assessment_versions"], get_version(db_session, "phq-9", 1)
    )


def test_answers_carry_forward_and_the_rest_is_flagged(app, db_session) -> None:
    def change(document: Any) -> None:
        items = document["$defs"]["phq9"]["properties"]
        items["item2"]["oneOf"] = items["item2"]["oneOf"][:2]  # 'more than half' is gone
        del items["item8"]
        document["$defs"]["phq9"]["required"].remove("item8")
        items["sleep_hours"] = {"type": "integer", "title": "Hours of sleep", "minimum": 0}
        items["total"]["x-calculated"]["of"].remove("item8")

    answers = example_answers("moderate", "phq-9")
    carried, flagged = carry_forward(
        _v1(app, db_session), _variant(app, db_session, change), answers
    )
    assert carried["phq9"]["item1"] == 2 and carried["phq9"]["item9"] == 0
    assert "item2" not in carried["phq9"] and "item8" not in carried["phq9"]
    reasons = dict(flagged)
    assert "no longer asked" in reasons["/phq9/item8"]
    assert "/phq9/item2" in reasons
    assert "a new question, not yet answered" in reasons["/phq9/sleep_hours"]
    assert answers["phq9"]["item2"] == 2  # the earlier answers are not touched


def test_unchanged_versions_carry_everything(app, db_session) -> None:
    answers = example_answers("moderate", "phq-9")
    v1 = _v1(app, db_session)
    carried, flagged = carry_forward(v1, v1, answers)
    assert carried == answers and flagged == []


def test_an_assessor_starts_a_review_on_the_latest_version(
    client, login_as, db_session, factories, drafts
) -> None:
    drafts.start("phq-9")

    def reword(document: Any) -> None:
        document["$defs"]["phq9"]["properties"]["item1"]["title"] = "Little joy in things"

    drafts.edit_json("phq-9", 3, "document", reword)
    assert drafts.publish("phq-9", 3).status_code == 302
    client.post_form("/sign-out")
    assessor = login_as("assessor")
    person = factories.client()
    earlier = Assessment(
        client=person,
        questionnaire_version=get_version(db_session, "phq-9", 1),
        status=AssessmentStatus.SUBMITTED,
        answers=example_answers("moderate", "phq-9"),
        organisation_id=assessor.organisation_id,
        submitted_at=utcnow(),
    )
    db_session.add(earlier)
    db_session.flush()
    page = client.get(f"/assessments/{earlier.id}/review")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Start a review on the latest version" in html and "Every answer carries forward" in html
    assert "Little joy in things" in html  # what changed
    response = client.post_form(f"/assessments/{earlier.id}/review")
    assert response.status_code == 302 and "review-notes" in response.headers["Location"]
    notes = client.get(response.headers["Location"])
    assert notes.status_code == 200 and "Every answer carried forward" in notes.get_data(
        as_text=True
    )
    review = (
        db_session.query(Assessment)
        .filter(Assessment.client_id == person.id, Assessment.id != earlier.id)
        .one()
    )
    assert review.questionnaire_version.version == 3
    assert review.answers == earlier.answers and review.status == AssessmentStatus.DRAFT


def test_administrators_and_drafts_cannot_start_reviews(client, login_as, factories) -> None:
    login_as("administrator")
    draft = factories.assessment(key="phq-9")
    assert client.get(f"/assessments/{draft.id}/review").status_code == 403
    client.post_form("/sign-out")
    login_as("assessor")
    assert client.get(f"/assessments/{draft.id}/review").status_code == 404
