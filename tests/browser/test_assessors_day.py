"""The faults an assessor met in a day's browser walk, walked again: the likely-duplicate panel
lets them go on (a labelled choice) and links each candidate; adding a repeat row keeps
what was typed (and focuses the new row), "Save and continue" names the blank required
question at its field, "Save and come back later" keeps the gaps and the task list says the
section needs attention, check answers marks the missing required answers, and a submit's
errors link to the field itself. axe-core checks every page state on the way."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from playwright.sync_api import expect

from assessment_engine.demo import demo_chi

from .conftest import check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "an assessor's day password"
HEALTH = "Health conditions, medicines and nursing tasks"


def _focused_id(page: Any, expected: str) -> str:
    """The id of the focused element, once it is (or begins with) ``expected``: the page's script
    moves focus after the page loads, so a check straight after navigating could run first.
    Times out (the test fails) if focus never gets there."""
    page.wait_for_function(
        "(id) => !!document.activeElement && document.activeElement.id.startsWith(id)",
        arg=expected,
        timeout=5000,
    )
    return str(page.evaluate("() => document.activeElement.id"))


def test_an_assessors_day_loses_nothing_and_says_what_is_missing(page: Any, live_app: Any) -> None:
    email = make_user(
        live_app,
        email="day.sw@pkc.example",
        name="Day Worker",
        password=PASSWORD,
        org="perth-kinross-council",
    )
    chi = make_client(live_app, "Agnes", "Duthie", date(1941, 6, 3))
    sign_in(page, email, PASSWORD)

    # Recording Agnes's sister: same last name and date of birth, so a likely duplicate.
    page.goto("/people/new")
    page.get_by_label("CHI number").fill(demo_chi(date(1941, 6, 3), 61, female=True))
    page.get_by_label("First name").fill("Isobel")
    page.get_by_label("Last name").fill("Duthie")
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("1941")
    page.get_by_role("button", name="Save record").click()
    panel = page.locator("#likely-duplicates")
    expect(panel.get_by_role("link", name="Agnes Duthie")).to_be_visible()
    screenshot(page, "day-likely-duplicate")
    check_accessibility(page, "new person with a likely duplicate")
    page.get_by_label("None of these is this person").check()
    page.get_by_role("button", name="Save record").click()
    page.get_by_role("heading", name="Isobel Duthie").wait_for()
    page.goto("/")
    # The focused header link is the Design System's yellow, not black on the black bar.
    page.locator(".app-header__name").focus()
    focused = page.evaluate(
        "() => getComputedStyle(document.querySelector('.app-header__name')).backgroundColor"
    )
    assert focused == "rgb(255, 221, 0)"
    page.get_by_label("CHI number or name").fill(chi)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Agnes Duthie").click()
    page.get_by_role("button", name="Start a joint assessment").click()
    page.get_by_role("link", name=HEALTH).click()

    # Type, then add a row: the new row has focus, and "Back" keeps what was typed.
    page.get_by_label("GP practice").fill("Crieff Medical Centre")
    page.get_by_role("button", name="Add a condition").click()
    page.locator("#health-conditions-0").wait_for()
    assert _focused_id(page, "health-conditions-0") == "health-conditions-0"
    expect(page.get_by_label("GP practice")).to_have_value("Crieff Medical Centre")
    screenshot(page, "day-condition-added")
    check_accessibility(page, "health with a condition added")
    page.locator("#health-conditions-0-condition").select_option("arthritis")
    page.locator("#health-conditions-0-since_year").fill("1890")
    page.get_by_role("button", name="Add another condition").click()
    # A wrong answer on the page: shown at its field, naming the question and the row.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(
        "\u2018Year it started or was diagnosed\u2019 in condition 1 must be 1900 or more"
    )
    check_accessibility(page, "health with a wrong year")
    page.locator("#health-conditions-0-since_year").fill("2019")
    page.get_by_role("button", name="Add another condition").click()
    page.locator("#health-conditions-1").wait_for()
    assert _focused_id(page, "health-conditions-1") == "health-conditions-1"
    page.get_by_role("button", name="Remove condition 2").click()
    page.locator("#health-conditions-1").wait_for(state="detached")
    assert _focused_id(page, "health-conditions-0") == "health-conditions-0"
    page.get_by_role("link", name="Back to sections").click()
    page.get_by_role("heading", name="Joint Single Shared Assessment").wait_for()
    page.get_by_role("link", name=HEALTH).click()
    expect(page.get_by_label("GP practice")).to_have_value("Crieff Medical Centre")
    expect(page.locator("#health-conditions-0-condition")).to_have_value("arthritis")

    # "Save and continue" needs the required answers, named at their fields.
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(
        "Select an answer for \u2018How does the person manage their medicines?\u2019"
    )
    screenshot(page, "day-required-missing")
    check_accessibility(page, "health with required answers missing")
    summary.get_by_role("link").first.click()
    assert _focused_id(page, "health-medicines_support").startswith("health-medicines_support")

    # "Save and come back later" keeps the gaps; the task list says the section needs attention.
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Your answers to \u2018{HEALTH}\u2019 have been saved."
    )
    row = page.locator(".govuk-task-list__item", has_text=HEALTH)
    expect(row).to_contain_text("Needs attention")
    check_accessibility(page, "task list with a section needing attention")

    # Check answers marks the missing required answers; submit's errors link to the field.
    page.get_by_role("link", name="Check answers and submit").click()
    health_rows = page.locator(".govuk-summary-list").nth(2)
    expect(health_rows).to_contain_text("Not answered (required)")
    check_accessibility(page, "check answers with missing answers")
    page.get_by_role("button", name="Submit assessment").click()
    summary = page.locator(".govuk-error-summary")
    link = summary.get_by_role(
        "link", name=re.compile("^Health conditions.*How does the person manage their medicines")
    )
    screenshot(page, "day-submit-errors")
    check_accessibility(page, "check answers after a refused submit")
    link.click()
    page.wait_for_url(re.compile(r"/sections/health\?check=1#health-medicines_support"))
    error = page.locator("#health-medicines_support-error")
    expect(error).to_contain_text("How does the person manage their medicines?")
    screenshot(page, "day-field-from-submit")
    check_accessibility(page, "health from the submit's error")
