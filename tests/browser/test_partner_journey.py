"""The receiving side in a real browser: an assessor of the council submits; a team manager of
the health board sees the referral in the queue, opens it, reads the answers, accepts it and
assigns a worker; a partner the person declined to share with sees only who the person is.
axe-core checks every page on the way."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from playwright.sync_api import expect

from assessment_engine.extensions import db

from ..factories import example_answers
from .conftest import SCREENSHOTS, check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "a partner journey password"


def _sign_in(page: Any, email: str) -> None:
    sign_in(page, email, PASSWORD)


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()


def _draft(app: Any, chi: str, assessor_email: str) -> str:
    """A complete draft of the joint assessment by the assessor, with the person's view that
    Community Link may not see their record; returns its id."""
    from sqlalchemy import select

    from assessment_engine.assessments.services import latest_published, start_assessment
    from assessment_engine.auth.models import User
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.partners.services import get_organisation
    from assessment_engine.records.services import find_by_chi
    from assessment_engine.records.sharing import record_sharing_view

    with app.app_context():
        assessor = db.session.scalar(select(User).where(User.email == assessor_email))
        person = find_by_chi(db.session, chi)
        community = get_organisation(db.session, "community-link")
        record_sharing_view(
            db.session,
            Actor.for_user(assessor),
            person,
            status="declined",
            stated_on=date.today(),
            partner_ids=[community.id],
        )
        version = latest_published(db.session, "joint-assessment")
        draft = start_assessment(
            db.session,
            Actor.for_user(assessor),
            person,
            version,
            example_answers("depression-with-self-harm-thoughts"),
        )
        db.session.commit()
        return str(draft.id)


def test_a_partner_team_receives_reads_and_accepts_a_referral(page: Any, live_app: Any) -> None:
    assessor = make_user(
        live_app, email="partner.sw@pkc.example", name="Sam Assessor", password=PASSWORD
    )
    manager = make_user(
        live_app,
        email="partner.tm@tayside.example",
        name="Nina Manager",
        password=PASSWORD,
        org="nhs-tayside",
        role="team_manager",
    )
    make_user(
        live_app,
        email="partner.nurse@tayside.example",
        name="Wendy Worker",
        password=PASSWORD,
        org="nhs-tayside",
    )
    outsider = make_user(
        live_app,
        email="partner.tm@communitylink.example",
        name="Colin Link",
        password=PASSWORD,
        org="community-link",
        role="team_manager",
    )
    chi = make_client(live_app, "Tomasz", "Nowak", date(1979, 6, 3))
    assessment_id = _draft(live_app, chi, assessor)

    # The assessor of the council checks the answers and submits.
    _sign_in(page, assessor)
    page.goto(f"/assessments/{assessment_id}/check")
    page.get_by_role("button", name="Submit assessment").click()
    page.get_by_role("heading", name="Why").wait_for()
    check_accessibility(page, "outcome")
    page.get_by_role("link", name="Read the answers").click()
    page.get_by_role("heading", name=re.compile("the answers$")).wait_for()
    check_accessibility(page, "answers (assessor)")
    _sign_out(page)

    # A team manager of the health board finds the same-day referral first in the queue.
    _sign_in(page, manager)
    page.get_by_role("link", name="Referrals", exact=True).first.click()
    page.get_by_role("heading", name="Referrals to your organisation").wait_for()
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("Mental health crisis team")
    expect(first).to_contain_text("Due today")
    screenshot(page, "partner-queue")
    check_accessibility(page, "referral queue")
    first.get_by_role("link", name="Tomasz Nowak").click()

    # The referral says why, who referred and when, and links to the answers.
    page.get_by_role("heading", name="Tomasz Nowak").wait_for()
    expect(page.locator("#why")).to_contain_text("Thoughts of self-harm need same-day follow-up")
    expect(page.locator(".govuk-summary-list")).to_contain_text("by Sam Assessor")
    expect(page.get_by_role("heading", name="Raise the priority")).to_have_count(0)  # at most
    screenshot(page, "partner-referral")
    check_accessibility(page, "referral")
    referral_url = page.url

    # A blank reason to decline is shown on its field, linked from the summary.
    page.get_by_role("button", name="Decline referral").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    screenshot(page, "partner-referral-error")
    check_accessibility(page, "referral with an error")
    summary.get_by_role("link", name="Say why the referral is declined").click()
    expect(page.locator("#reason")).to_be_focused()

    page.get_by_role("link", name="Read the assessment's answers").click()
    page.get_by_role("heading", name=re.compile("the answers$")).wait_for()
    content = page.content()
    assert "Getting back to work. Not feeling like this." in content  # the person's own words
    assert "Sertraline" in content and "50mg once a day" in content
    assert "What matters most to the person?" in content
    screenshot(page, "partner-answers")
    page.screenshot(path=str(SCREENSHOTS / "partner-answers-top.png"))
    check_accessibility(page, "answers (partner)")

    # Accept and assign a worker.
    page.goto(referral_url)
    page.get_by_label("Assign to").select_option(label="Wendy Worker")
    page.get_by_role("button", name="Accept referral").click()
    page.get_by_text("Referral accepted.").wait_for()
    summary_list = page.locator(".govuk-summary-list")
    expect(summary_list).to_contain_text("Wendy Worker")
    expect(summary_list).to_contain_text("by Nina Manager")
    screenshot(page, "partner-referral-accepted")
    check_accessibility(page, "accepted referral")
    _sign_out(page)

    # Community Link, which the person declined, sees who the person is and whom to contact.
    _sign_in(page, outsider)
    page.goto("/referrals")
    # On a 390 px phone the queue's rows stack, each value under its column's name: no
    # sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the referral queue is {width} px wide on a 390 px screen"
    screenshot(page, "queue-on-a-phone")
    check_accessibility(page, "referral queue on a phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("tbody tr").first.get_by_role("link", name="Tomasz Nowak").click()
    page.get_by_role("heading", name="Tomasz Nowak").wait_for()
    content = page.content()
    assert "has not shared their assessment with your organisation" in content
    assert "Read the assessment's answers" not in content and "self-harm" not in content
    screenshot(page, "declined-partner-referral")
    check_accessibility(page, "referral (declined partner)")
    # Its answers do not exist for it (asked with the page's own session, outside the page,
    # whose console would report the 404 as an error).
    response = page.request.get(f"/assessments/{assessment_id}/answers")
    assert response.status == 404 and "Sertraline" not in response.text()
