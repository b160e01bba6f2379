"""Submitting an assessment: validated against its pinned version, decided, referred, audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from assessment_engine.assessments import services
from assessment_engine.assessments.models import AssessmentStatus, Decision, Referral
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import write_pending
from assessment_engine.records.models import AuditEvent

from ..factories import example_answers


@pytest.fixture
def prepared_for(app, db_session):
    cache = app.extensions["assessment_versions"]

    def get(assessment: Any) -> Any:
        return services.prepare_version(db_session, cache, assessment.questionnaire_version)

    return get


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_submitting_a_complete_assessment_decides_and_refers(
    db_session, factories, prepared_for
) -> None:
    user = factories.user("assessor", org="nhs-tayside")
    actor = Actor.for_user(user)
    assessment = factories.assessment(
        answers=example_answers("depression-with-self-harm-thoughts"), user=user
    )
    decision = services.submit(
        db_session, actor, assessment, prepared_for(assessment), expected_version=None
    )
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert decision.ruleset == "joint-assessment@3"
    assert decision.priority.value == "critical" and decision.route.value == "both"
    assert "self_harm_risk" in decision.outcome["flags"]
    referrals = db_session.scalars(
        select(Referral).where(Referral.decision_id == decision.id)
    ).all()
    by_service = {r.service.slug: r for r in referrals}
    assert {"crisis-mental-health", "home-care"} <= set(by_service)
    assert by_service["crisis-mental-health"].organisation.slug == "nhs-tayside"
    assert by_service["crisis-mental-health"].urgency.value == "same_day"
    assert by_service["home-care"].organisation.slug == "perth-kinross-council"
    assert all(r.status.value == "pending" for r in referrals)
    write_pending(db_session)  # as the commit does
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.client_id == assessment.client_id)
    ).all()
    assert {"assessment.submit", "decision.create", "referral.create"} <= set(actions)


def test_the_decision_object_matches_the_api_contract(db_session, factories, prepared_for):
    assessment = factories.assessment(answers=example_answers("carer-under-strain"))
    decision = services.submit(
        db_session,
        Actor.command_line(assessment.organisation_id),
        assessment,
        prepared_for(assessment),
        expected_version=None,
    )
    document = services.decision_document(decision)
    assert set(document) >= {
        "route",
        "priority",
        "scores",
        "bands",
        "flags",
        "services",
        "trace",
        "ruleset",
        "override",
    }
    assert document["override"] is None
    assert all({"rule", "fired", "inputs", "because"} <= set(step) for step in document["trace"])
    assert all({"service", "organisation", "urgency"} <= set(s) for s in document["services"])


def test_an_incomplete_assessment_cannot_be_submitted_and_nothing_is_stored(
    db_session, factories, prepared_for
) -> None:
    answers = example_answers("carer-under-strain")
    del answers["personal_care"]
    assessment = factories.assessment(answers=answers)
    before = (_count(db_session, Decision), _count(db_session, Referral))
    with pytest.raises(services.AnswersInvalid) as caught:
        services.submit(
            db_session,
            Actor.command_line(assessment.organisation_id),
            assessment,
            prepared_for(assessment),
            expected_version=None,
        )
    assert any(p.startswith("/personal_care") for p in caught.value.errors)
    db_session.rollback()
    assert (_count(db_session, Decision), _count(db_session, Referral)) == before


def test_a_draft_saves_without_missing_answers_but_refuses_wrong_ones(
    db_session, factories, prepared_for
) -> None:
    assessment = factories.assessment()
    actor = Actor.command_line(assessment.organisation_id)
    prepared = prepared_for(assessment)
    services.save_answers(
        db_session,
        actor,
        assessment,
        prepared,
        {"falls": {"fallen": False}},
        expected_version=assessment.version,
        section="falls",
    )
    saved = dict(assessment.answers)
    with pytest.raises(services.AnswersInvalid) as caught:
        services.save_answers(
            db_session,
            actor,
            assessment,
            prepared,
            {"falls": {"fallen": True, "falls_count": "lots"}},
            expected_version=assessment.version,
            section="falls",
        )
    assert "/falls/falls_count" in caught.value.errors
    assert assessment.answers == saved  # nothing saved before the error is lost


def test_hidden_answers_are_dropped_when_saved(db_session, factories, prepared_for) -> None:
    assessment = factories.assessment()
    services.save_answers(
        db_session,
        Actor.command_line(assessment.organisation_id),
        assessment,
        prepared_for(assessment),
        {"falls": {"fallen": False, "falls_count": 3}},
        expected_version=assessment.version,
        section="falls",
    )
    assert "falls_count" not in assessment.answers["falls"]


def test_a_stale_save_is_refused(db_session, factories, prepared_for) -> None:
    assessment = factories.assessment()
    actor = Actor.command_line(assessment.organisation_id)
    loaded_at = assessment.version
    services.save_answers(
        db_session,
        actor,
        assessment,
        prepared_for(assessment),
        {"falls": {"fallen": False}},
        expected_version=loaded_at,
        section="falls",
    )
    with pytest.raises(services.StaleEdit):
        services.save_answers(
            db_session,
            actor,
            assessment,
            prepared_for(assessment),
            {"falls": {"fallen": True}},
            expected_version=loaded_at,
            section="falls",
        )


def test_a_submitted_assessment_cannot_be_edited(db_session, factories, prepared_for) -> None:
    assessment = factories.assessment(answers=example_answers("carer-under-strain"))
    actor = Actor.command_line(assessment.organisation_id)
    services.submit(db_session, actor, assessment, prepared_for(assessment), expected_version=None)
    with pytest.raises(services.NotEditable):
        services.save_answers(
            db_session,
            actor,
            assessment,
            prepared_for(assessment),
            {},
            expected_version=assessment.version,
        )


def test_an_assessment_stays_on_its_version(db_session, factories) -> None:
    assessment = factories.assessment()
    assert assessment.questionnaire_version.version == 3  # the latest published
    assert assessment.questionnaire_version.status.value == "published"


def test_compiled_versions_are_built_once(app, db_session, factories, prepared_for) -> None:
    first = prepared_for(factories.assessment())
    second = prepared_for(factories.assessment())
    assert first is second


def test_the_outcome_page_shows_route_priority_services_and_reasons(
    client, login_as, db_session, factories, prepared_for
) -> None:
    user = login_as("assessor", org="nhs-tayside")
    assessment = factories.assessment(
        answers=example_answers("depression-with-self-harm-thoughts"), user=user
    )
    services.submit(
        db_session,
        Actor.for_user(user),
        assessment,
        prepared_for(assessment),
        expected_version=None,
    )
    db_session.commit()
    html = client.get(f"/assessments/{assessment.id}/outcome").get_data(as_text=True)
    assert "Health and social care" in html and "Priority: Critical" in html
    assert "Mental health crisis team" in html and "NHS Tayside" in html and "Same day" in html
    assert "PHQ-9" in html  # the reasons, in words
    # A submitted assessment's task list sends people to its outcome.
    response = client.get(f"/assessments/{assessment.id}")
    assert response.headers["Location"].endswith(f"/assessments/{assessment.id}/outcome")


def test_a_rule_that_gives_no_finite_number_refuses_the_submission_naming_it(
    app, db_session, factories, prepared_for
) -> None:
    import dataclasses

    from assessment_engine.scoring.compiler import compile_ruleset

    user = factories.user("assessor", org="nhs-tayside")
    answers = example_answers("carer-under-strain")
    answers["mood"]["phq9"].update(item1=1, item2=1)
    assessment = factories.assessment(answers=answers, user=user)
    prepared = prepared_for(assessment)
    rules = {
        "rules": [
            {
                "id": "overflowing-total",
                "kind": "weighted_sum",
                "items": {"/mood/phq9/item1": 1e308, "/mood/phq9/item2": 1e308},
                "output": "huge",
            },
            {"id": "routing", "kind": "route", "referrals": []},
        ]
    }
    broken = compile_ruleset(
        rules,
        prepared.questionnaire.items,
        app.extensions["assessment_rules"],
        name=prepared.ruleset_name,
    )
    with pytest.raises(services.RulesFailed) as raised:
        services.submit(
            db_session,
            Actor.for_user(user),
            assessment,
            dataclasses.replace(prepared, ruleset=broken),
            expected_version=None,
        )
    assert raised.value.rule == "overflowing-total"
    assert "\u2018overflowing-total\u2019 gave a result that is not a number" in str(raised.value)
    assert isinstance(raised.value, services.AssessmentError)  # shown as a message, never a 500
