"""The referral work queue: order, filters, waiting times, accepting with a worker, declining."""

from __future__ import annotations

import re

from sqlalchemy import select

from assessment_engine.assessments import queue
from assessment_engine.assessments.models import Referral, ReferralStatus
from assessment_engine.kernel.actor import Actor
from assessment_engine.scoring.outcomes import Priority

from . import builders

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"


def _referrals(factories, db_session, org=COUNCIL):
    """Referrals to ``org`` of several priorities and ages, by name."""
    person = factories.client("Jean", "MacDonald")
    assessor = factories.user("assessor", NHS)
    made = builders.decision(db_session, builders.assessment(db_session, person, assessor))
    service = builders.service_of(db_session, factories.organisation(org))
    spec = {
        "low-old": (Priority.LOW, 40, ReferralStatus.PENDING),
        "critical-new": (Priority.CRITICAL, 2, ReferralStatus.PENDING),
        "critical-old": (Priority.CRITICAL, 20, ReferralStatus.PENDING),
        "substantial-overdue": (Priority.SUBSTANTIAL, 50, ReferralStatus.ACCEPTED),
        "moderate-done": (Priority.MODERATE, 30, ReferralStatus.COMPLETED),
    }
    return {
        name: builders.referral(db_session, made, service, priority=p, days_ago=d, status=s)
        for name, (p, d, s) in spec.items()
    }


def test_most_urgent_then_oldest_first_with_filters(factories, db_session) -> None:
    made = _referrals(factories, db_session)
    _referrals(factories, db_session, org=NHS)  # another partner's: never in this queue
    actor = Actor.for_user(factories.user("team_manager", COUNCIL))
    rows = queue.work_queue(db_session, actor, queue.QueueFilters())
    assert [r.referral.id for r in rows] == [
        made[n].id for n in ("critical-old", "critical-new", "substantial-overdue", "low-old")
    ]
    every = queue.QueueFilters(statuses=tuple(ReferralStatus))
    assert len(queue.work_queue(db_session, actor, every)) == 5
    critical = queue.QueueFilters(priority=Priority.CRITICAL)
    assert len(queue.work_queue(db_session, actor, critical)) == 2
    old = queue.QueueFilters(older_than_days=14)
    assert [r.referral.id for r in queue.work_queue(db_session, actor, old)] == [
        made[n].id for n in ("critical-old", "substantial-overdue", "low-old")
    ]


def test_waiting_times_and_the_six_week_target(factories, db_session) -> None:
    made = _referrals(factories, db_session)
    rows = {r.referral.id: r for r in map(queue.row_for, made.values())}
    critical = rows[made["critical-old"].id]
    assert 21 <= critical.time_left.days <= 22  # 42 days less 20
    overdue = rows[made["substantial-overdue"].id]
    assert overdue.time_left.total_seconds() < 0
    assert overdue.time_to_accept.days == 1
    assert rows[made["low-old"].id].time_left is None  # no target below substantial
    assert rows[made["moderate-done"].id].time_left is None


def test_the_queue_page(client, login_as, factories, db_session) -> None:
    _referrals(factories, db_session)
    login_as("team_manager", COUNCIL)
    html = client.get("/referrals").get_data(as_text=True)
    assert "4 referrals" in html
    assert "left of 6 weeks" in html and "Overdue by" in html
    assert "Accepted after 1 day" in html
    html = client.get("/referrals?status=completed").get_data(as_text=True)
    assert "1 referral" in html
    html = client.get("/referrals?priority=critical&age=14").get_data(as_text=True)
    assert "1 referral" in html
    html = client.get("/referrals?priority=nonsense&age=-3&status=x").get_data(as_text=True)
    assert "4 referrals" in html  # unknown filter values are ignored


def test_accepting_assigns_a_worker_of_the_organisation(client, login_as, factories, db_session):
    made = _referrals(factories, db_session)
    manager = login_as("team_manager", COUNCIL)
    worker = factories.user("assessor", COUNCIL, name="Wendy Worker")
    outsider = factories.user("assessor", NHS)
    target = made["critical-new"]
    url = f"/referrals/{target.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Wendy Worker" in page and outsider.name not in page

    # A worker id from another organisation, changed in the form, is refused.
    response = client.post_form(f"{url}/accept", {"version": "1", "worker": str(outsider.id)})
    assert response.status_code == 422
    assert "no such worker" in response.get_data(as_text=True)
    response = client.post_form(f"{url}/accept", {"version": "1", "worker": str(worker.id)})
    assert response.status_code == 302
    db_session.expire_all()
    accepted = db_session.get(Referral, target.id)
    assert accepted.status is ReferralStatus.ACCEPTED
    assert accepted.assigned_to_id == worker.id and accepted.accepted_by_id == manager.id
    html = client.get(url).get_data(as_text=True)
    assert "Wendy Worker" in html and re.search(r"Time to acceptance", html)

    # A second, stale accept: a clear message, nothing overwritten.
    response = client.post_form(f"{url}/accept", {"version": "1"})
    assert response.status_code == 409
    assert "Someone else changed this referral" in response.get_data(as_text=True)


def test_declining_needs_a_reason_and_keeps_it(client, login_as, factories, db_session) -> None:
    made = _referrals(factories, db_session)
    login_as("team_manager", COUNCIL)
    url = f"/referrals/{made['low-old'].id}/decline"
    response = client.post_form(url, {"version": "1", "reason": "  "})
    assert response.status_code == 422 and "Say why" in response.get_data(as_text=True)
    response = client.post_form(url, {"version": "1", "reason": "x" * 2001})
    assert response.status_code == 422
    response = client.post_form(url, {"version": "1", "reason": "Lives outside our area"})
    assert response.status_code == 302
    html = client.get("/referrals?status=declined").get_data(as_text=True)
    assert "Declined: Lives outside our area" in html
    db_session.expire_all()
    declined = db_session.scalar(select(Referral).where(Referral.id == made["low-old"].id))
    assert declined.status is ReferralStatus.DECLINED


def test_the_referral_page_says_why_who_referred_and_who_acted(
    app, client, login_as, factories, db_session
) -> None:
    from ..factories import example_answers

    assessor = factories.user("assessor", COUNCIL, name="Sam Reid")
    person = factories.client("Morag", "McDonald")
    assessment = factories.submitted(
        app, example_answers("depression-with-self-harm-thoughts"), assessor, client=person
    )
    crisis = db_session.scalar(
        select(Referral).where(
            Referral.assessment_id == assessment.id, Referral.urgency == "same_day"
        )
    )
    manager = login_as("team_manager", NHS, name="Nina Manager")
    url = f"/referrals/{crisis.id}"
    html = client.get(url).get_data(as_text=True)
    assert "Thoughts of self-harm need same-day follow-up by the crisis team" in html
    assert "by Sam Reid, Perth and Kinross Council" in html
    assert f'href="/assessments/{assessment.id}/answers"' in html
    assert "Due today" in html

    # A blank reason: the error is on the field, and the summary links to it.
    response = client.post_form(f"{url}/decline", {"version": "1", "reason": " "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#reason"' in html and 'id="reason-error"' in html
    assert 'aria-describedby="reason-error"' in html

    # Lowering its priority is refused, on the priority field.
    response = client.post_form(
        f"{url}/priority",
        {"version": "1", "priority": "low", "urgency": "same_day", "priority_reason": "x"},
    )
    assert response.status_code == 422
    assert 'href="#priority"' in response.get_data(as_text=True)

    response = client.post_form(f"{url}/decline", {"version": "1", "reason": "Seen today"})
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert re.search(r"Declined\s*</dt>\s*<dd[^>]*>\s*[^<]*by Nina Manager", html), html
    assert manager.name == "Nina Manager"
