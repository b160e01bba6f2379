"""An assessor may override the decision with a reason; both decisions are kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessment_engine.assessments import services
from assessment_engine.assessments.models import Decision, DecisionKind, Referral
from assessment_engine.kernel.actor import Actor
from assessment_engine.scoring.outcomes import Priority, Route

from ..factories import example_answers


@pytest.fixture
def submitted(app, db_session, factories):
    user = factories.user("assessor", org="perth-kinross-council", name="Sam Reid")
    assessment = factories.submitted(app, example_answers("carer-under-strain"), user)
    db_session.commit()
    return user, assessment, services.current_decision(assessment)


def test_override_keeps_the_computed_decision_and_shows_in_the_trace(db_session, submitted):
    user, _assessment, decision = submitted
    computed = (decision.computed_route, decision.computed_priority)
    services.override_decision(
        db_session,
        Actor.for_user(user),
        decision,
        route=Route.BOTH,
        priority=Priority.CRITICAL,
        reason="Carer has just been admitted",
    )
    assert (decision.computed_route, decision.computed_priority) == computed
    assert (decision.route, decision.priority) == (Route.BOTH, Priority.CRITICAL)
    document = services.decision_document(decision)
    assert document["override"]["reason"] == "Carer has just been admitted"
    assert document["override"]["computed_priority"] == computed[1].value
    assert document["trace"][-1]["rule"] == "override"
    assert "Sam Reid changed the decision" in document["trace"][-1]["because"]
    pending = db_session.scalars(select(Referral).where(Referral.decision_id == decision.id))
    assert all(r.priority == Priority.CRITICAL for r in pending)


@pytest.mark.parametrize("reason", ["", "   "])
def test_override_needs_a_reason(db_session, submitted, reason) -> None:
    user, _assessment, decision = submitted
    with pytest.raises(services.AssessmentError, match="Enter the reason"):
        services.override_decision(
            db_session,
            Actor.for_user(user),
            decision,
            route=Route.HEALTH,
            priority=Priority.LOW,
            reason=reason,
        )


def test_override_through_the_outcome_page(client, db_session, submitted) -> None:
    user, assessment, _decision = submitted
    client.post_form("/sign-in", {"email": user.email, "password": "correct horse battery staple"})
    html = client.get(f"/assessments/{assessment.id}/outcome").get_data(as_text=True)
    assert "Change the decision using your professional judgement" in html
    response = client.post_form(
        f"/assessments/{assessment.id}/override",
        {"route": "health", "priority": "substantial", "reason": ""},
    )
    assert response.status_code == 422
    assert "Enter the reason for changing the decision" in response.get_data(as_text=True)
    response = client.post_form(
        f"/assessments/{assessment.id}/override",
        {"route": "health", "priority": "substantial", "reason": "<b>Hospital</b> discharge"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Both decisions are kept" in html and "Priority: Substantial" in html
    assert "&lt;b&gt;Hospital&lt;/b&gt; discharge" in html


def test_only_assessors_of_the_organisation_may_override(client, login_as, submitted) -> None:
    _user, assessment, _decision = submitted
    login_as("assessor", org="nhs-tayside")
    html = client.get(f"/assessments/{assessment.id}/outcome").get_data(as_text=True)
    assert "Change the decision" not in html
    response = client.post_form(
        f"/assessments/{assessment.id}/override",
        {"route": "health", "priority": "low", "reason": "x"},
    )
    assert response.status_code == 403


def test_what_if_makes_a_marked_decision_and_no_referrals(app, db_session, submitted) -> None:
    _user, assessment, decision = submitted
    prepared = services.prepare_version(
        db_session, app.extensions["assessment_versions"], assessment.questionnaire_version
    )
    referrals_before = db_session.scalars(select(Referral)).all()
    what_if = services.what_if(
        db_session, Actor.command_line(assessment.organisation_id), assessment, prepared
    )
    assert what_if.kind == DecisionKind.WHAT_IF
    assert services.current_decision(assessment).id == decision.id  # never the one that counts
    assert db_session.scalars(select(Referral)).all() == referrals_before
    assert db_session.get(Decision, decision.id).outcome == decision.outcome  # not recomputed
