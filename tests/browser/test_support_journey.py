"""From referral to support and back, in a real browser: the council's assessor submits; the
council's home-care team manager accepts the referral and records the support (a negative number
of hours is refused on its field first); time moves on and the review is overdue; the assessor
does the review assessment (carrying the answers forward) and records the outcome: a reduction
without the person's agreement is refused with a clear message, with it (and the carer's) it is
saved and the next review is scheduled. axe-core checks every page on the way."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import update

from assessment_engine.extensions import db

from ..factories import example_answers
from .conftest import check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "a support journey password"


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()


def _draft(app: Any, chi: str, assessor_email: str) -> str:
    from sqlalchemy import select

    from assessment_engine.assessments.services import latest_published, start_assessment
    from assessment_engine.auth.models import User
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.records.services import find_by_chi

    with app.app_context():
        assessor = db.session.scalar(select(User).where(User.email == assessor_email))
        version = latest_published(db.session, "joint-assessment")
        draft = start_assessment(
            db.session,
            Actor.for_user(assessor),
            find_by_chi(db.session, chi),
            version,
            example_answers("carer-under-strain"),
        )
        db.session.commit()
        return str(draft.id)


def _move_time(app: Any) -> None:
    """The review's day comes and goes: it was due three days ago."""
    from assessment_engine.support.models import Review

    with app.app_context():
        db.session.execute(update(Review).values(due_on=date.today() - timedelta(days=3)))
        db.session.commit()


def test_from_referral_to_support_and_its_review(page: Any, live_app: Any) -> None:
    assessor = make_user(
        live_app, email="support.sw@pkc.example", name="Ailsa Assessor", password=PASSWORD
    )
    manager = make_user(
        live_app,
        email="support.tm@pkc.example",
        name="Hamish Manager",
        password=PASSWORD,
        role="team_manager",
    )
    chi = make_client(live_app, "Morven", "Laing", date(1941, 2, 11))
    assessment_id = _draft(live_app, chi, assessor)

    sign_in(page, assessor, PASSWORD)
    page.goto(f"/assessments/{assessment_id}/check")
    page.get_by_role("button", name="Submit assessment").click()
    page.get_by_role("heading", name="Why").wait_for()
    _sign_out(page)

    # The home-care team: the 6-week clock shows in the queue.
    sign_in(page, manager, PASSWORD)
    page.get_by_role("link", name="Referrals", exact=True).first.click()
    # Other journeys share the live server's database: find this person's row.
    row = page.locator("tbody tr", has_text="Morven Laing").filter(has_text="Home care")
    expect(row).to_contain_text("42 days left")
    row.get_by_role("link", name="Morven Laing").click()
    page.get_by_role("heading", name="Morven Laing").wait_for()
    page.get_by_role("button", name="Accept referral").click()
    page.get_by_text("Referral accepted.").wait_for()
    page.get_by_role("link", name="Support arranged: record it or see it").click()
    page.get_by_role("heading", name="Record the support arranged for Morven Laing").wait_for()
    check_accessibility(page, "record support")
    today = date.today()
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    page.get_by_label("What is the support?").fill("Home care twice a day: washing, dressing")
    page.get_by_label("Hours a week (optional)").fill("-4")
    page.get_by_label("Option 3: arranged by the council").check()
    page.get_by_label("Weekly cost in pounds (optional)").fill("310.80")
    page.get_by_role("button", name="Record the support").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Hours a week cannot be negative")
    expect(page.get_by_label("What is the support?")).to_have_value(
        "Home care twice a day: washing, dressing"
    )  # nothing typed is lost
    screenshot(page, "support-error")
    check_accessibility(page, "record support with an error")
    page.get_by_label("Hours a week (optional)").fill("14")
    page.get_by_role("button", name="Record the support").click()
    page.get_by_text("The support has been recorded").wait_for()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Started in time")
    expect(page.locator("#versions")).to_contain_text("Support started")
    screenshot(page, "support-plan")
    check_accessibility(page, "support plan")
    _sign_out(page)

    _move_time(live_app)

    # The assessor's review: overdue in the queue; the review assessment carries forward.
    sign_in(page, assessor, PASSWORD)
    page.get_by_role("link", name="Reviews", exact=True).first.click()
    page.get_by_role("link", name="Overdue", exact=True).click()
    row = page.locator("#review-queue tbody tr", has_text="Morven Laing")
    expect(row).to_contain_text("Overdue")
    check_accessibility(page, "review queue")
    row.get_by_role("link").first.click()
    page.get_by_role("heading", name="Morven Laing").wait_for()
    check_accessibility(page, "review")
    page.get_by_role("button", name="Start the review assessment").click()
    page.wait_for_url("**/assessments/*")
    review_assessment = page.url.split("/assessments/")[1].split("/")[0]
    page.goto(f"/assessments/{review_assessment}/check")
    page.get_by_role("button", name="Submit assessment").click()
    page.get_by_role("heading", name="Why").wait_for()
    page.go_back()
    page.goto("/reviews?status=overdue")
    page.locator("#review-queue tbody tr", has_text="Morven Laing").get_by_role(
        "link"
    ).first.click()

    # Fewer hours are a reduction, whatever the outcome chosen: refused on the hours field.
    page.get_by_label("Increase").check()
    page.get_by_label("Why?").fill("Morven is washing herself again after reablement")
    page.get_by_label("New hours a week, if they change (optional)").fill("7")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-error-message", has_text="choose Reduce")).to_contain_text(
        "This lowers the hours a week"
    )
    check_accessibility(page, "increase refused")

    # A reduction without the person's agreement is refused, on its field.
    page.get_by_label("Reduce").check()
    page.get_by_label("Why?").fill("Morven is washing herself again after reablement")
    page.get_by_label("New hours a week, if they change (optional)").fill("7")
    page.get_by_role("button", name="Record the outcome").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Support can only be reduced with the person's agreement")
    expect(summary).to_contain_text("the carer's agreement too")
    screenshot(page, "review-refused")
    check_accessibility(page, "review refused")

    # With the person's and the carer's agreement it is saved; the next review is scheduled.
    page.get_by_label("The person agrees with this outcome").check()
    page.get_by_label("The person", exact=True).check()
    page.get_by_label("The unpaid carer agrees").check()
    page.get_by_role("button", name="Record the outcome").click()
    page.get_by_text("The review's outcome has been recorded.").wait_for()
    expect(page.locator("#versions")).to_contain_text("Review: Reduce.")
    expect(page.locator(".govuk-summary-list")).to_contain_text("7")
    next_review = today + timedelta(days=365)
    expect(page.locator(".govuk-summary-list")).to_contain_text(str(next_review.year))
    screenshot(page, "support-reduced")
    check_accessibility(page, "support plan after review")
