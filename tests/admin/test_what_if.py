"""What if: administrators re-score submitted assessments under a draft's rules."""

from __future__ import annotations

from sqlalchemy import select

from assessment_engine.assessments import services
from assessment_engine.assessments.models import Decision, DecisionKind, Referral
from assessment_engine.kernel.actor import Actor

from ..factories import example_answers


def _submitted_phq9(app, db_session, factories):
    user = factories.user("assessor", org="nhs-tayside")
    assessment = factories.assessment(
        answers=example_answers("moderate", key="phq-9"), key="phq-9", user=user
    )
    prepared = services.prepare_version(
        db_session, app.extensions["assessment_versions"], assessment.questionnaire_version
    )
    decision = services.submit(
        db_session, Actor.for_user(user), assessment, prepared, expected_version=None
    )
    db_session.commit()
    return assessment, decision


def _raise_moderate_threshold(rules) -> None:
    for rule in rules["rules"]:
        if rule["id"] == "mood-moderate":
            rule["when"][">="][1] = 12


def test_what_if_shows_which_decisions_would_change_and_stores_them_marked(
    app, client, db_session, factories, drafts
) -> None:
    assessment, decision = _submitted_phq9(app, db_session, factories)
    referrals_before = len(db_session.scalars(select(Referral)).all())
    number = drafts.start("phq-9")
    drafts.edit_json("phq-9", number, "rules", _raise_moderate_threshold)

    page = client.get(f"/admin/questionnaires/phq-9/versions/{number}/what-if")
    assert page.status_code == 200 and "Re-score recent assessments" in page.get_data(as_text=True)
    response = client.post_form(f"/admin/questionnaires/phq-9/versions/{number}/what-if")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"1 of 1 decisions would change under phq-9@{number}" in html
    assert "NHS Tayside" in html and "app-changed" in html
    assert "item1" not in html  # routes and priorities only, never answers

    what_ifs = db_session.scalars(
        select(Decision).where(Decision.kind == DecisionKind.WHAT_IF)
    ).all()
    assert [d.assessment_id for d in what_ifs] == [assessment.id]
    assert what_ifs[0].ruleset == f"phq-9@{number}"
    db_session.expire_all()
    assert services.current_decision(db_session.get(type(assessment), assessment.id)).id == (
        decision.id
    )
    assert len(db_session.scalars(select(Referral)).all()) == referrals_before


def test_what_if_on_a_version_with_problems_says_so(client, drafts) -> None:
    number = drafts.start("phq-9")
    drafts.save("phq-9", number, rules='{"rules": [{"id": "x", "kind": "nope"}]}')
    response = client.post_form(
        f"/admin/questionnaires/phq-9/versions/{number}/what-if", follow_redirects=True
    )
    assert "problems to fix before its rules can be tried out" in response.get_data(as_text=True)
