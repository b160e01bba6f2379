"""Support arranged for an accepted referral, versioned; the 6-week clock; reviews, where
nothing is reduced (or ended by choice) without the person's agreement, and the carer's where
one is involved. Service-level: the pages and the API call these same functions (their doors
are tests/api/test_support_api.py and the browser journey)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from assessment_engine.assessments import referrals
from assessment_engine.assessments.clock import uk_today
from assessment_engine.assessments.models import Referral
from assessment_engine.kernel.actor import Actor
from assessment_engine.records.services import RecordNotFound
from assessment_engine.records.sharing import record_sharing_view
from assessment_engine.support import services
from assessment_engine.support.models import (
    PlanStatus,
    Review,
    ReviewPolicy,
    ReviewStatus,
    SupportPlan,
    SupportPlanVersion,
)

from ..factories import example_answers

COUNCIL = "perth-kinross-council"


def _home_care(
    app: Any,
    db_session: Any,
    factories: Any,
    example: str,
    manager: Any,
    review_date: date | None = None,
) -> Referral:
    """The home-care referral (personal care, substantial) of an assessment submitted today,
    accepted by the council's team manager."""
    assessor = factories.user("assessor", COUNCIL)
    answers = example_answers(example)
    if review_date is not None:
        answers["summary"]["review_date"] = review_date.isoformat()
    assessment = factories.submitted(app, answers, assessor)
    referral = db_session.scalar(
        select(Referral)
        .where(Referral.assessment_id == assessment.id)
        .where(Referral.service.has(slug="home-care"))
    )
    return referrals.accept(
        db_session, Actor.for_user(manager), referral, expected_version=referral.version
    )


@pytest.fixture
def manager(factories: Any) -> Any:
    return factories.user("team_manager", COUNCIL)


def test_bad_support_gets_field_errors_and_saves_nothing(
    app: Any, db_session: Any, factories: Any, manager: Any
) -> None:
    referral = _home_care(app, db_session, factories, "frail-older-person-living-alone", manager)
    actor = Actor.for_user(manager)
    assessed = referral.assessment.submitted_at.date()
    with pytest.raises(services.SupportError) as refused:
        services.record_support(
            db_session,
            actor,
            referral,
            start_date=assessed - timedelta(days=1),
            summary="  ",
            hours_per_week="-3",
            sds_option="5",
            weekly_cost="12.345",
        )
    assert set(refused.value.errors) == {
        "start_date",
        "summary",
        "hours_per_week",
        "sds_option",
        "weekly_cost",
    }
    assert "before the assessment" in refused.value.errors["start_date"]
    assert "negative" in refused.value.errors["hours_per_week"]
    assert "1 to 4" in refused.value.errors["sds_option"]
    assert db_session.scalar(select(func.count()).select_from(SupportPlan)) == 0
    with pytest.raises(services.SupportError) as refused:
        services.record_support(
            db_session, actor, referral, start_date=assessed, summary="x", hours_per_week="169"
        )
    assert set(refused.value.errors) == {"hours_per_week"}
    # Far ahead (once a server error) and hours finer than two decimals: on their fields.
    with pytest.raises(services.SupportError) as refused:
        services.record_support(
            db_session,
            actor,
            referral,
            start_date=date(9999, 12, 30),
            summary="x",
            hours_per_week="7.125",
        )
    assert set(refused.value.errors) == {"start_date", "hours_per_week"}
    assert "within a year" in refused.value.errors["start_date"]
    assert "two decimals" in refused.value.errors["hours_per_week"]
    # Recorded at the same moment by someone else: the one-plan-a-referral index answers, as a
    # refusal (the caller rolls back), not a server error.
    db_session.add(
        SupportPlan(
            referral_id=referral.id,
            client_id=referral.client_id,
            organisation_id=referral.organisation_id,
            service_id=referral.service_id,
            start_date=assessed,
            summary="Recorded elsewhere",
            status=PlanStatus.ACTIVE,
        )
    )
    with db_session.no_autoflush, pytest.raises(services.SupportError, match="already"):
        services.record_support(db_session, actor, referral, start_date=assessed, summary="x")


def test_support_is_versioned_with_its_first_review_and_clock(
    app: Any, db_session: Any, factories: Any, manager: Any
) -> None:
    # The assessor proposed a review 20 days after the start: earlier than the policy's 42.
    start = date.today() + timedelta(days=50)  # later than the 6 weeks allow
    referral = _home_care(
        app,
        db_session,
        factories,
        "frail-older-person-living-alone",
        manager,
        review_date=start + timedelta(20),
    )
    assessed = referral.assessment.submitted_at.date()
    plan = services.record_support(
        db_session,
        Actor.for_user(manager),
        referral,
        start_date=start,
        summary="Home care twice a day, personal care",
        hours_per_week="10.5",
        sds_option="3",
        weekly_cost="245.50",
        expected_version=referral.version,
    )
    assert (plan.minutes_per_week, plan.weekly_cost_pence, plan.sds_option.value) == (
        630,
        24550,
        "3",
    )
    assert services.hours_text(plan.minutes_per_week) == "10.5"
    assert services.cost_text(plan.weekly_cost_pence) == "245.50"
    [version] = plan.versions
    assert (version.number, version.reason, version.changed_by_id) == (
        1,
        "Support started",
        manager.id,
    )
    upcoming = services.next_review(plan)
    assert upcoming is not None and upcoming.due_on == start + timedelta(20)
    # Once a referral.
    with pytest.raises(services.SupportError, match="already"):
        services.record_support(
            db_session, Actor.for_user(manager), referral, start_date=start, summary="Again"
        )
    # The 6-week standard: started 50 days after the assessment, so late.
    clock = services.clocks(db_session, [referral], start)[referral.id]
    assert (clock.due_on, clock.met, clock.breached) == (assessed + timedelta(42), False, True)
    assert clock.words == "Started 8 days late"
    breaches = services.six_week_breaches(db_session, referral.organisation_id, start)
    assert referral.id in {r.id for r, _c in breaches}
    # A policy of the organisation's own changes the next plan's first review.
    db_session.add(
        ReviewPolicy(
            organisation_id=referral.organisation_id,
            first_review_days=14,
            critical_first_review_days=7,
            review_interval_days=180,
        )
    )
    db_session.flush()
    assert services.review_policy(db_session, referral.organisation_id)["first_review_days"] == 14


def test_the_clock_of_a_waiting_referral(
    app: Any, db_session: Any, factories: Any, manager: Any
) -> None:
    referral = _home_care(app, db_session, factories, "frail-older-person-living-alone", manager)
    assessed = referral.assessment.submitted_at.date()
    clock = services.clocks(db_session, [referral], assessed + timedelta(days=40))[referral.id]
    assert (clock.days_left, clock.overdue, clock.words) == (2, False, "2 days left")
    late = services.clocks(db_session, [referral], assessed + timedelta(days=45))[referral.id]
    assert (late.overdue, late.words) == (True, "Overdue by 3 days")


def _supported(app: Any, db_session: Any, factories: Any, manager: Any, example: str) -> Review:
    referral = _home_care(app, db_session, factories, example, manager)
    plan = services.record_support(
        db_session,
        Actor.for_user(manager),
        referral,
        start_date=referral.assessment.submitted_at.date(),
        summary="Home care",
        hours_per_week="14",
    )
    review = services.next_review(plan)
    assert review is not None
    return review


def _review_assessment(app: Any, factories: Any, review: Review, example: str) -> Any:
    """A reassessment of the review's person, submitted now (after support started)."""
    from assessment_engine.auth.models import User

    assessor = factories.session.get(User, review.plan.referral.assessment.submitted_by_id)
    return factories.submitted(app, example_answers(example), assessor, review.plan.client)


def test_a_reduction_needs_the_persons_and_the_carers_agreement(
    app: Any, db_session: Any, factories: Any, manager: Any
) -> None:
    review = _supported(app, db_session, factories, manager, "carer-under-strain")
    actor = Actor.for_user(manager)
    today = review.due_on + timedelta(days=3)
    assert [
        r.id
        for r in services.reviews_due(db_session, review.organisation_id, today, status="overdue")
    ] == [review.id]
    assessment = str(_review_assessment(app, factories, review, "carer-under-strain").id)
    common: dict[str, Any] = {
        "outcome": "reduce",
        "reason": "Walks again",
        "assessment_id": assessment,
        "terms": {"hours_per_week": "7"},
    }
    with pytest.raises(services.SupportError) as refused:
        services.record_outcome(db_session, actor, review, today, **common)
    assert set(refused.value.errors) == {"person_agreed", "carer_agreed"}
    assert "agreement" in refused.value.errors["person_agreed"]
    with pytest.raises(services.SupportError) as refused:
        services.record_outcome(db_session, actor, review, today, person_agreed=True, **common)
    assert set(refused.value.errors) == {"carer_agreed"}
    # Without a review assessment only an end for a reason outside the person's choice goes.
    with pytest.raises(services.SupportError) as refused:
        services.record_outcome(db_session, actor, review, today, outcome="continue", reason="Fine")
    assert set(refused.value.errors) == {"assessment_id"}
    assert review.status is ReviewStatus.DUE and len(review.plan.versions) == 1

    services.record_outcome(
        db_session,
        actor,
        review,
        today,
        person_agreed=True,
        agreed_by="welfare_attorney",
        carer_agreed=True,
        **common,
    )
    plan = review.plan
    assert (review.status, review.agreed_by.value, review.carer_agreed) == (
        ReviewStatus.COMPLETED,
        "welfare_attorney",
        True,
    )
    assert review.agreement_recorded_by_id == manager.id
    assert [v.number for v in plan.versions] == [1, 2]
    assert plan.minutes_per_week == 7 * 60
    assert plan.versions[1].reason.startswith("Review: Reduce. Walks again")
    following = services.next_review(plan)
    assert following is not None and following.due_on == today + timedelta(days=365)
    with pytest.raises(services.SupportError, match="already"):
        services.record_outcome(db_session, actor, review, today, **common)
    # The next review carries forward the answers of this review's assessment.
    assert services.last_assessment(plan).id == review.assessment_id
    # The record's timeline shows the cycle: support started, the review and its agreement.
    timeline = app.extensions["record_page_parts"].timeline(db_session, review.client_id)
    kinds = [entry.kind for entry in timeline]
    assert {"assessment", "decision", "referral", "support", "review"} <= set(kinds)
    assert kinds.index("review") < kinds.index("support")  # newest first
    entry = next(e for e in timeline if e.kind == "review")
    assert entry.title == "Review of Home care: Reduce"
    assert entry.detail == "Walks again; their welfare attorney agreed, and the carer"


def test_support_ends_without_agreement_only_outside_the_persons_choice(
    app: Any, db_session: Any, factories: Any, manager: Any
) -> None:
    review = _supported(app, db_session, factories, manager, "frail-older-person-living-alone")
    actor = Actor.for_user(manager)
    today = review.due_on
    with pytest.raises(services.SupportError) as refused:
        services.record_outcome(
            db_session,
            actor,
            review,
            today,
            outcome="end",
            end_reason="no_longer_needed",
            reason="Managing",
            assessment_id=str(
                _review_assessment(app, factories, review, "frail-older-person-living-alone").id
            ),
        )
    assert set(refused.value.errors) == {"person_agreed"}  # no carer is named
    services.record_outcome(
        db_session, actor, review, today, outcome="end", end_reason="died", reason="Died at home"
    )
    plan = review.plan
    assert (plan.status, plan.ended_on, services.next_review(plan)) == (
        PlanStatus.ENDED,
        today,
        None,
    )
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(SupportPlanVersion)
            .where(SupportPlanVersion.plan_id == plan.id)
        )
        == 2
    )


def test_an_increase_never_lowers_and_the_review_assessment_is_the_reviews(
    app: Any, db_session: Any, factories: Any, manager: Any
) -> None:
    review = _supported(app, db_session, factories, manager, "frail-older-person-living-alone")
    actor = Actor.for_user(manager)
    today = review.due_on
    plan = review.plan

    def refused(at: Review = review, **given: Any) -> dict[str, str]:
        with pytest.raises(services.SupportError) as caught:
            services.record_outcome(db_session, actor, at, today, **given)
        return caught.value.errors

    # The assessment the support was arranged from is no review assessment.
    original = str(plan.referral.assessment_id)
    assert set(refused(outcome="continue", reason="Fine", assessment_id=original)) == {
        "assessment_id"
    }
    # A reassessment naming an unpaid carer: linked to the review, no other is taken.
    with_carer = _review_assessment(app, factories, review, "carer-under-strain")
    services.start_review_assessment(db_session, actor, review, with_carer)
    errors = refused(outcome="continue", reason="Fine", assessment_id=original)
    assert "its own review assessment" in errors["assessment_id"]
    # 14 hours down to 1 is a reduction, whatever it is called; so is a lower cost.
    errors = refused(outcome="increase", reason="More", terms={"hours_per_week": "1"})
    assert errors == {"hours_per_week": "This lowers the hours a week: choose Reduce"}
    # A changed SDS option (or what the support is) under "increase" needs the agreement.
    errors = refused(outcome="increase", reason="Direct payment", terms={"sds_option": "1"})
    assert set(errors) == {"person_agreed", "carer_agreed"}
    assert "changed with the person's agreement" in errors["person_agreed"]
    # A reduction that changes nothing is refused, on the hours.
    assert set(refused(outcome="reduce", reason="Less", person_agreed=True, carer_agreed=True)) == {
        "hours_per_week"
    }
    assert review.status is ReviewStatus.DUE and len(plan.versions) == 1

    # "Continue" needs no agreement, so none is recorded even if ticked.
    services.record_outcome(
        db_session,
        actor,
        review,
        today,
        outcome="continue",
        reason="Fine",
        person_agreed=True,
        carer_agreed=True,
    )
    assert review.assessment_id == with_carer.id
    assert (review.person_agreed, review.carer_agreed, review.agreement_recorded_at) == (
        None,
        None,
        None,
    )
    # The next review: its reassessment names no carer, but the last one did.
    following = services.next_review(plan)
    assert following is not None
    without = _review_assessment(app, factories, following, "frail-older-person-living-alone")
    errors = refused(
        following,
        outcome="reduce",
        reason="Less",
        person_agreed=True,
        assessment_id=str(without.id),
        terms={"hours_per_week": "7"},
    )
    assert set(errors) == {"carer_agreed"}
    # An assessment from before the last review is not this review's.
    errors = refused(following, outcome="continue", reason="Fine", assessment_id=str(with_carer.id))
    assert set(errors) == {"assessment_id"}
    # Someone else completed it meanwhile (its version moved on): "changed", not a crash.
    db_session.execute(
        update(Review)
        .where(Review.id == following.id)
        .values(version=Review.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(services.StaleSupport):
        services.record_outcome(
            db_session,
            actor,
            following,
            today,
            outcome="continue",
            reason="Fine",
            assessment_id=str(without.id),
        )


def test_support_follows_the_persons_sharing_views(
    app: Any, db_session: Any, factories: Any, manager: Any
) -> None:
    review = _supported(app, db_session, factories, manager, "frail-older-person-living-alone")
    actor = Actor.for_user(manager)
    today = review.due_on
    assert [r.id for r in services.review_queue(db_session, actor, today)] == [review.id]
    # The NHS records that the person withdrew their agreement to share with the council.
    record_sharing_view(
        db_session,
        Actor.for_user(factories.user("assessor", "nhs-tayside")),
        review.plan.client,
        status="withdrawn",
        stated_on=uk_today(),
        partner_ids=[manager.organisation_id],
    )
    for opened in (
        lambda: services.plan_for(db_session, actor, review.plan_id),
        lambda: services.review_for(db_session, actor, review.id),
        lambda: services.record_outcome(
            db_session, actor, review, today, outcome="end", end_reason="died", reason="Died"
        ),
        lambda: services.record_support(
            db_session, actor, review.plan.referral, start_date=today, summary="Again"
        ),
    ):
        with pytest.raises(RecordNotFound):
            opened()
    assert services.review_queue(db_session, actor, today) == []
    assert [r.id for r in services.reviews_due(db_session, manager.organisation_id, today)] == [
        review.id
    ]  # the organisation's own count still has it (reports)
    assert review.status is ReviewStatus.DUE


def test_the_queue_shows_when_support_started_only_as_sharing_allows(
    app: Any, client: Any, db_session: Any, factories: Any, manager: Any
) -> None:
    """The start of support is the person's record content: the referral queue and the
    referral's page show it as the plan's own page does, not past a withdrawn sharing view."""
    from ..conftest import sign_in_with_code

    review = _supported(app, db_session, factories, manager, "frail-older-person-living-alone")
    sign_in_with_code(client, factories, manager)
    referral_page = f"/referrals/{review.plan.referral_id}"
    for url in ("/referrals", referral_page):
        assert "Started in time" in client.get(url).get_data(as_text=True)
    record_sharing_view(
        db_session,
        Actor.for_user(factories.user("assessor", "nhs-tayside")),
        review.plan.client,
        status="withdrawn",
        stated_on=uk_today(),
        partner_ids=[manager.organisation_id],
    )
    for url in ("/referrals", referral_page):
        page = client.get(url)
        assert page.status_code == 200
        assert "Started in time" not in page.get_data(as_text=True)
