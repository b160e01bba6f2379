"""Joint assessment version 2's mood and rules in the pages (kept by version 3, the latest
published, which is what an assessment starts on): the mood page says
PHQ-9 and GAD-7 items may be left, too few answers are refused on submission, and a PHQ-9
with item 9 left is submitted with 'self-harm not asked' at critical priority. (A fall after
the assessment date: tests/forms/test_version_2_sections.py.)"""

from __future__ import annotations

from assessment_engine.assessments.models import Assessment, AssessmentStatus

from ..factories import example_answers
from .test_pages import _start as start


def _start(client, login_as, factories, db_session, answers):
    _user, assessment = start(client, login_as, factories, db_session, answers=answers)
    assert assessment.questionnaire_version.version == 3
    return assessment


def test_the_mood_page_says_which_questions_may_be_left(
    client, login_as, factories, db_session
) -> None:
    assessment = _start(
        client, login_as, factories, db_session, example_answers("carer-under-strain")
    )
    response = client.get(f"/assessments/{assessment.id}/sections/mood")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "may leave up to two questions unanswered" in html
    assert "Always ask question 9" in html
    assert html.count("You may leave this if the person would rather not answer") == 8 + 7


def test_submitting_with_three_phq9_items_left_names_the_group(
    client, login_as, factories, db_session
) -> None:
    answers = example_answers("carer-under-strain")
    for name in ("item6", "item7", "item8"):
        del answers["mood"]["phq9"][name]
    assessment = _start(client, login_as, factories, db_session, answers)
    response = client.post_form(
        f"/assessments/{assessment.id}/submit", {"version": assessment.version}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'href="/assessments/{assessment.id}/sections/mood?check=1#mood-phq9-' in html
    db_session.expire_all()
    assert db_session.get(Assessment, assessment.id).status == AssessmentStatus.DRAFT


def test_item_9_left_is_submitted_as_self_harm_not_asked_at_critical_priority(
    client, login_as, factories, db_session
) -> None:
    answers = example_answers("loneliness-and-daily-living-only")
    answers["mood"]["phq9"] = {f"item{i}": 3 for i in range(1, 9)}
    assessment = _start(client, login_as, factories, db_session, answers)
    response = client.post_form(
        f"/assessments/{assessment.id}/submit",
        {"version": assessment.version},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    db_session.expire_all()
    submitted = db_session.get(Assessment, assessment.id)
    assert submitted.status == AssessmentStatus.SUBMITTED
    (decision,) = submitted.decisions
    assert decision.ruleset == "joint-assessment@3"
    assert decision.computed_priority.value == "critical"
    assert "self_harm_not_asked" in decision.outcome["flags"]
    assert "phq9_prorated" in decision.outcome["flags"]
    assert "was not asked" in html
