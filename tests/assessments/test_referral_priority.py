"""Each referral carries its own priority and urgency; overrides never lower them; the queue
orders and times referrals by them."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assessment_engine.assessments import queue, referrals, services
from assessment_engine.assessments.models import Referral, ReferralStatus
from assessment_engine.kernel.actor import Actor
from assessment_engine.records.models import AuditEvent
from assessment_engine.scoring.outcomes import Priority, Route, Urgency

from ..factories import example_answers


@pytest.fixture
def crisis(app, db_session, factories):
    """A submitted joint assessment with thoughts of self-harm (a same-day crisis referral)."""
    user = factories.user("assessor", org="perth-kinross-council", name="Sam Reid")
    assessment = factories.submitted(
        app, example_answers("depression-with-self-harm-thoughts"), user
    )
    return user, assessment, services.current_decision(assessment)


def _by_service(db_session, decision) -> dict[str, Referral]:
    found = db_session.scalars(select(Referral).where(Referral.decision_id == decision.id))
    return {r.service.slug: r for r in found}


def test_each_referral_takes_its_own_service_entrys_priority(db_session, crisis) -> None:
    _user, _assessment, decision = crisis
    made = _by_service(db_session, decision)
    entries = {e["service"]: e for e in decision.outcome["services"]}
    assert {slug: (r.priority.value, r.urgency.value) for slug, r in made.items()} == {
        slug: (e["priority"], e["urgency"]) for slug, e in entries.items()
    }
    assert (made["crisis-mental-health"].priority, made["crisis-mental-health"].urgency) == (
        Priority.CRITICAL,
        Urgency.SAME_DAY,
    )
    assert made["home-care"].priority is Priority.LOW  # not the overall critical


def test_an_override_downwards_leaves_the_crisis_referral_same_day_and_critical(
    db_session, factories, crisis
) -> None:
    user, _assessment, decision = crisis
    before = {s: (r.priority, r.urgency) for s, r in _by_service(db_session, decision).items()}
    services.override_decision(
        db_session,
        Actor.for_user(user),
        decision,
        route=Route.SOCIAL_CARE,
        priority=Priority.LOW,
        reason="Seen by the GP this morning; the risk has passed",
    )
    db_session.flush()
    after = {s: (r.priority, r.urgency) for s, r in _by_service(db_session, decision).items()}
    assert after == before
    assert after["crisis-mental-health"] == (Priority.CRITICAL, Urgency.SAME_DAY)
    # ... and it is first in the health board's queue, due today.
    manager = Actor.for_user(factories.user("team_manager", "nhs-tayside"))
    rows = queue.work_queue(db_session, manager, queue.QueueFilters())
    assert rows[0].referral.service.slug == "crisis-mental-health"
    assert rows[0].clock == "same_day"
    assert timedelta(0) < rows[0].time_left <= timedelta(hours=25)
    assert rows[1].referral.service.slug == "community-mental-health"
    assert rows[1].clock == "urgent"


def test_an_override_upwards_raises_the_referrals_below_it_with_its_reason(
    db_session, crisis
) -> None:
    user, _assessment, decision = crisis
    services.override_decision(
        db_session,
        Actor.for_user(user),
        decision,
        route=decision.route,
        priority=Priority.SUBSTANTIAL,
        reason="Lives alone and stopped eating",
    )
    db_session.commit()  # audit events join the trail at commit
    made = _by_service(db_session, decision)
    assert made["home-care"].priority is Priority.SUBSTANTIAL
    assert made["home-care"].priority_reason == "Lives alone and stopped eating"
    assert made["home-care"].priority_raised_by_id == user.id
    assert made["crisis-mental-health"].priority is Priority.CRITICAL  # never lowered
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "referral.priority",
            AuditEvent.record_id == str(made["home-care"].id),
        )
    ).all()
    assert [e.detail for e in events] == [
        {"from": ["low", "routine"], "to": ["substantial", "routine"]}
    ]


def test_a_referral_is_raised_with_a_reason_and_never_lowered(
    db_session, factories, crisis
) -> None:
    _user, _assessment, decision = crisis
    manager = Actor.for_user(factories.user("team_manager", "perth-kinross-council"))
    home_care = _by_service(db_session, decision)["home-care"]
    with pytest.raises(referrals.ReferralError, match="only be raised"):
        referrals.raise_priority(
            db_session, manager, home_care, priority=Priority.NO_RISK, reason="Family helps"
        )
    with pytest.raises(referrals.ReferralError, match="Say why"):
        referrals.raise_priority(
            db_session, manager, home_care, priority=Priority.MODERATE, reason=" "
        )
    referrals.raise_priority(
        db_session,
        manager,
        home_care,
        priority=Priority.MODERATE,
        urgency=Urgency.URGENT,
        reason="Carer in hospital",
    )
    assert (home_care.priority, home_care.urgency) == (Priority.MODERATE, Urgency.URGENT)
    other = Actor.for_user(factories.user("team_manager", "community-link"))
    with pytest.raises(referrals.RecordNotFound):
        referrals.raise_priority(
            db_session, other, home_care, priority=Priority.CRITICAL, reason="Not ours"
        )


def test_the_queue_puts_same_day_first_and_shows_a_clock_that_fits(
    client, login_as, factories, db_session
) -> None:
    from ..records import builders

    person = factories.client("Jean", "MacDonald")
    assessor = factories.user("assessor", "nhs-tayside")
    made = builders.decision(db_session, builders.assessment(db_session, person, assessor))
    service = builders.service_of(db_session, factories.organisation("perth-kinross-council"))
    routine = builders.referral(db_session, made, service, priority=Priority.CRITICAL, days_ago=3)
    same_day = builders.referral(db_session, made, service, priority=Priority.MODERATE)
    same_day.urgency = Urgency.SAME_DAY
    urgent = builders.referral(db_session, made, service, priority=Priority.LOW)
    urgent.urgency = Urgency.URGENT
    stale = builders.referral(db_session, made, service, priority=Priority.LOW, days_ago=2)
    stale.urgency = Urgency.URGENT
    db_session.flush()
    actor = Actor.for_user(factories.user("team_manager", "perth-kinross-council"))
    rows = queue.work_queue(db_session, actor, queue.QueueFilters())
    assert [r.referral.id for r in rows] == [same_day.id, stale.id, urgent.id, routine.id]
    assert rows[1].time_left.total_seconds() < 0  # urgent, 2 days old: overdue
    assert 21 * 3600 < rows[2].time_left.total_seconds() <= 24 * 3600
    assert 38 <= rows[3].time_left.days <= 39  # 6 weeks less 3 days
    login_as("team_manager", "perth-kinross-council")
    html = client.get("/referrals").get_data(as_text=True)
    assert "Due today" in html and "Due in 24 hours" in html and "left of 6 weeks" in html
    assert "41 days left of 6 weeks" not in html


def test_a_declined_or_completed_referral_keeps_who_did_it(db_session, factories, crisis) -> None:
    _user, _assessment, decision = crisis
    manager = factories.user("team_manager", "nhs-tayside")
    actor = Actor.for_user(manager)
    made = _by_service(db_session, decision)
    declined = referrals.decline(
        db_session,
        actor,
        made["community-mental-health"],
        reason="Known to us",
        expected_version=None,
    )
    assert declined.declined_by_id == manager.id
    crisis_referral = made["crisis-mental-health"]
    referrals.accept(db_session, actor, crisis_referral, expected_version=None)
    referrals.complete(db_session, actor, crisis_referral, expected_version=None)
    assert crisis_referral.completed_by_id == manager.id
    assert crisis_referral.status is ReferralStatus.COMPLETED


def _migration():
    path = next(
        (Path(__file__).resolve().parents[2] / "migrations" / "versions").glob(
            "20261201_referrals_own_priority*.py"
        )
    )
    spec = importlib.util.spec_from_file_location("own_priority_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_recovers_each_existing_referrals_own_priority(crisis) -> None:
    _user, _assessment, decision = crisis
    own = _migration()._own_priority
    assert own(decision.outcome, "crisis-mental-health") == "critical"
    assert own(decision.outcome, "home-care") == "low"
    assert own(decision.outcome, "link-worker") == "moderate"  # the more urgent of two lines
    assert own(decision.outcome, "district-nursing") is None
    assert own({"trace": "nonsense"}, "home-care") is None
