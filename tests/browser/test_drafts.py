"""Drafts in the browser: a second "Start" lands in the same draft (the record and the dashboard
say there is one), a draft is discarded after a confirmation that says what it is, the
discarded draft stays readable and marked, and "Start" then makes a new one. axe-core checks
every page state on the way, with the "region" rule on: the back link is in a landmark."""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.sync_api import expect

from .conftest import check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "one more unfinished form, kept"


def test_a_draft_is_resumed_then_discarded(page: Any, live_app: Any) -> None:
    email = make_user(
        live_app,
        email="drafts.sw@pkc.example",
        name="Draft Keeper",
        password=PASSWORD,
        org="perth-kinross-council",
    )
    chi = make_client(live_app, "Elspeth", "Rattray", date(1936, 2, 11))
    sign_in(page, email, PASSWORD)
    page.get_by_label("CHI number or name").fill(chi)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Elspeth Rattray").click()
    record_url = page.url
    page.get_by_role("button", name="Start a joint assessment").click()
    page.get_by_role("heading", name="Joint Single Shared Assessment").wait_for()
    draft_url = page.url
    check_accessibility(page, "task list of a new draft")

    # Back on the record, it says there is a draft; "Continue" (a second Start) goes on with it.
    page.get_by_role("link", name="Back to Elspeth Rattray").click()
    expect(page.locator("#our-draft")).to_contain_text("started by Draft Keeper")
    screenshot(page, "drafts-record-with-draft")
    check_accessibility(page, "record with the organisation's draft")
    page.get_by_role("button", name="Continue the joint assessment").click()
    page.get_by_role("heading", name="Joint Single Shared Assessment").wait_for()
    assert page.url == draft_url
    expect(page.locator(".govuk-notification-banner")).to_contain_text("you are continuing it")
    screenshot(page, "drafts-resumed")
    check_accessibility(page, "task list of the resumed draft")

    page.goto("/")
    drafts = page.locator("table", has=page.locator("caption", has_text="Drafts you started"))
    expect(drafts.get_by_role("link", name="Elspeth Rattray")).to_be_visible()
    check_accessibility(page, "dashboard with my drafts")
    drafts.get_by_role("link", name="Elspeth Rattray").click()
    assert page.url == draft_url

    # Discard it: a confirmation that names what is discarded, then back to the record.
    page.get_by_role("link", name="Discard this draft").click()
    page.get_by_role("heading", name="Discard this draft?").wait_for()
    expect(page.locator(".govuk-summary-list")).to_contain_text("Draft Keeper")
    screenshot(page, "drafts-discard-confirm")
    check_accessibility(page, "discard confirmation")
    page.get_by_role("button", name="Yes, discard this draft").click()
    page.get_by_role("heading", name="Elspeth Rattray").wait_for()
    assert page.url == record_url
    expect(page.locator(".govuk-notification-banner")).to_contain_text("was discarded")
    expect(page.locator("#assessments + .govuk-table")).to_contain_text("Discarded")
    screenshot(page, "drafts-discarded")
    check_accessibility(page, "record after the draft was discarded")

    # The discarded draft is kept and read-only; the dashboard no longer lists it.
    page.goto(draft_url)
    expect(page.locator("#discarded")).to_contain_text("discarded by Draft Keeper")
    expect(page.get_by_role("link", name="Discard this draft")).to_have_count(0)
    screenshot(page, "drafts-discarded-task-list")
    check_accessibility(page, "task list of a discarded draft")
    page.goto("/")
    expect(page.locator("#my-drafts + p")).to_have_text("You have no drafts.")

    # Start now makes a new draft.
    page.goto(record_url)
    page.get_by_role("button", name="Start a joint assessment").click()
    page.get_by_role("heading", name="Joint Single Shared Assessment").wait_for()
    assert page.url != draft_url
