"""What if: administrators re-score submitted assessments under a draft's rules."""

from __future__ import annotations

from sqlalchemy import select

from assessment_engine.assessments import services
from assessment_engine.assessments.models import Decision, DecisionKind, Referral
from assessment_engine.auth.models import User
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


def _set_line(name: str, **values):
    def change(rules) -> None:
        routing = next(rule for rule in rules["rules"] if rule["kind"] == "route")
        line = next(line for line in routing["referrals"] if line["id"] == name)
        line.update(values)

    return change


def test_a_referral_urgency_change_is_a_change_and_rows_are_named_by_person_and_date(
    app, client, db_session, factories, drafts
) -> None:
    from assessment_engine.kernel.models import AuditEvent

    assessment, _decision = _submitted_phq9(app, db_session, factories)
    number = drafts.start("phq-9")
    drafts.edit_json(
        "phq-9", number, "rules", _set_line("primary-care-mental-health", urgency="urgent")
    )
    html = client.post_form(f"/admin/questionnaires/phq-9/versions/{number}/what-if").get_data(
        as_text=True
    )
    assert f"1 of 1 decisions would change under phq-9@{number}" in html
    assert "Referral to Primary care mental health team: urgency routine to urgent" in html
    client_record = assessment.client
    assert client_record.display_name in html
    assert "submitted " in html and str(assessment.id)[:8] not in html

    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "what_if.report")
    ).one()
    assert [link.client_id for link in event.linked_clients] == [client_record.id]


def test_an_override_is_kept_apart_from_what_the_rules_change(
    app, client, db_session, factories, drafts
) -> None:
    from assessment_engine.scoring.outcomes import Priority, Route

    _assessment, decision = _submitted_phq9(app, db_session, factories)
    user = db_session.get(User, decision.created_by_id)
    services.override_decision(
        db_session,
        Actor.for_user(user),
        decision,
        route=Route.BOTH,
        priority=Priority.SUBSTANTIAL,
        reason="lives alone and cannot manage meals",
    )
    db_session.commit()
    number = drafts.start("phq-9")  # the same rules: nothing the rules decide changes
    html = client.post_form(f"/admin/questionnaires/phq-9/versions/{number}/what-if").get_data(
        as_text=True
    )
    assert f"0 of 1 decisions would change under phq-9@{number}" in html
    assert "1 of these decisions were overridden by an assessor" in html
    assert "Health and social care, Substantial (kept apart: not a rule change)" in html


def test_every_part_of_the_decision_is_compared_in_words() -> None:
    from assessment_engine.admin.what_if import Outcome, Referred, changes
    from assessment_engine.scoring.outcomes import Priority, Route

    before = Outcome(
        Route.HEALTH,
        Priority.MODERATE,
        (Referred("gp", "routine", "moderate", "GP practice"), Referred("old", "routine", "low")),
        ("mood_needs_support",),
    )
    same = Outcome(before.route, before.priority, before.referrals, before.flags)
    assert changes(before, same) == []
    after = Outcome(
        Route.BOTH,
        Priority.SUBSTANTIAL,
        (
            Referred("gp", "routine", "substantial", "GP practice"),
            Referred("home-care", "urgent", "low"),
        ),
        ("carer_under_strain",),
    )
    assert changes(before, after) == [
        "Route: Health to Health and social care",
        "Priority: Moderate to Substantial",
        "Referral to GP practice: priority moderate to substantial",
        "New referral to home-care (urgent, priority low)",
        "No referral to old (was old (routine, priority low))",
        "Flag carer_under_strain now set",
        "Flag mood_needs_support no longer set",
    ]
