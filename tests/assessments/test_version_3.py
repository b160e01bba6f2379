"""Joint assessment version 3 (the latest published): version 2's content with "Nobody" the one
way to say nobody helps (no second "None of these" box), and the adult-protection questions
left out of the person's printed copy (kept in the file copy)."""

from __future__ import annotations

from typing import Any

from ..factories import example_answers
from .test_pages import _start

HARM = "Do you think the person may be an adult at risk of harm?"


def test_nobody_is_the_one_answer_for_nobody(client, login_as, factories, db_session) -> None:
    _user, assessment = _start(client, login_as, factories, db_session)
    assert assessment.questionnaire_version.version == 3
    for section, name in (("personal_care", "help_now"), ("daily_living", "help_from")):
        html = client.get(f"/assessments/{assessment.id}/sections/{section}").get_data(as_text=True)
        assert f'name="{section}-{name}" type="checkbox" value="nobody"' in html, section
        assert "None of these" not in html, section


def test_the_persons_copy_leaves_out_adult_protection(
    app: Any, client: Any, login_as: Any, factories: Any, db_session: Any
) -> None:
    user = login_as("assessor")
    person = factories.client(org=user.organisation.slug)
    answers = example_answers("carer-under-strain")
    answers["summary"]["harm_concern"] = True
    answers["summary"]["harm_action"] = "Told the adult protection team at 11am"
    submitted = factories.submitted(app, answers, user, person)
    assert submitted.questionnaire_version.version == 3
    persons = client.get(f"/assessments/{submitted.id}/print").get_data(as_text=True)
    assert HARM not in persons and "adult protection team at 11am" not in persons
    assert "What matters to" in persons or "Keeping Tam at home" in persons
    file_copy = client.get(f"/assessments/{submitted.id}/print?copy=file").get_data(as_text=True)
    assert HARM in file_copy and "adult protection team at 11am" in file_copy
