"""The whole journey in a real browser: sign in, find the person, start the joint assessment,
answer every section (conditional questions and repeating groups included), save, sign out, sign
in, resume, fix a validation error, check answers and submit. axe-core checks every page on the
way."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from playwright.sync_api import expect

from assessment_engine.forms import field_id

from ..factories import example_answers
from .conftest import check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "a browser journey password"


def _answer(page: Any, pointer: str, value: Any) -> None:
    """Answer one question the way a person would, whatever its widget."""
    name = field_id(pointer)
    if isinstance(value, dict):
        for key, inner in value.items():
            _answer(page, f"{pointer}/{key}", inner)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            item_pointer = f"{pointer}/{index}"
            if page.locator(f'[name^="{field_id(item_pointer)}-"]').count() == 0:
                page.locator(f'button[value="add:{pointer}"]').click()
                page.wait_for_load_state()
            _answer(page, item_pointer, item)
    elif isinstance(value, list):
        for option in value or ["none"]:
            page.locator(f'input[name="{name}"][value="{option}"]').check()
    elif page.locator(f"#{name}-day").count():
        year, month, day = str(value).split("-")
        page.locator(f"#{name}-day").fill(day)
        page.locator(f"#{name}-month").fill(month)
        page.locator(f"#{name}-year").fill(year)
    elif page.locator(f'select[name="{name}"]').count():
        page.locator(f'select[name="{name}"]').select_option(str(value))
    elif page.locator(f'input[type="radio"][name="{name}"]').count():
        shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
        page.locator(f'input[type="radio"][name="{name}"][value="{shown}"]').check()
    else:
        page.locator(f'[name="{name}"]').fill(str(value))


def _answer_section(page: Any, section: str, answers: dict[str, Any]) -> None:
    try:
        page.wait_for_url(re.compile(f"/sections/{section}$"))
    except Exception:
        screenshot(page, f"expected-{section}")
        raise
    for key, value in answers.get(section, {}).items():
        _answer(page, f"/{section}/{key}", value)
    # Answered, so that the questions the answers reveal are checked too.
    check_accessibility(page, f"section {section}")


def _sign_in(page: Any, email: str) -> None:
    sign_in(page, email, PASSWORD)


def _open_person(page: Any, chi: str, name: str) -> None:
    page.get_by_label("CHI number or name").fill(chi)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name).wait_for()
    check_accessibility(page, "the person's record")


def test_an_assessor_completes_the_joint_assessment(page: Any, live_app: Any) -> None:
    email = make_user(
        live_app,
        email="journey.sw@pkc.example",
        name="Journey Worker",
        password=PASSWORD,
        org="perth-kinross-council",
    )
    chi = make_client(live_app, "Elspeth", "Mackay", date(1939, 2, 11))
    answers = example_answers("falls-and-nursing-tasks")
    sections = list(answers)

    _sign_in(page, email)
    _open_person(page, chi, "Elspeth Mackay")
    page.get_by_role("button", name="Start a joint assessment").click()
    page.get_by_role("heading", name="Joint Single Shared Assessment").wait_for()
    screenshot(page, "task-list-new")
    check_accessibility(page, "new task list")
    page.get_by_role("link", name=re.compile("^About the person")).click()

    # The first four sections, with a validation error to fix on the way.
    for section in sections[:4]:
        _answer_section(page, section, answers)
        if section == "falls":
            expect(page.locator('[data-pointer="/falls/falls_count"]')).to_be_visible()
            page.locator("#falls-falls_count").fill("lots")
            page.get_by_role("button", name="Save and continue").click()
            summary = page.locator(".govuk-error-summary")
            summary.wait_for()
            screenshot(page, "falls-error")
            check_accessibility(page, "falls with an error")
            summary.get_by_role("link").first.click()
            page.locator("#falls-falls_count").fill(str(answers["falls"]["falls_count"]))
        page.get_by_role("button", name="Save and continue").click()

    # Stop, sign out, and come back later.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()
    _sign_in(page, email)
    _open_person(page, chi, "Elspeth Mackay")
    page.get_by_role("link", name="Joint Single Shared Assessment").click()
    page.get_by_text("You have completed 4 of 12 sections").wait_for()
    check_accessibility(page, "task list part done")
    page.get_by_role("link", name=re.compile("^Personal care")).click()

    for section in sections[4:]:
        _answer_section(page, section, answers)
        page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("heading", name="Check your answers before submitting").wait_for()
    screenshot(page, "check-answers")
    check_accessibility(page, "check answers")
    assert "Peripheral neuropathy" in page.content()  # an answer inside a repeating group
    phq9_total = sum(answers["mood"]["phq9"].values())
    total_row = page.locator(".govuk-summary-list__row", has_text="PHQ-9 total score")
    assert total_row.locator(".govuk-summary-list__value").inner_text().strip() == str(phq9_total)
    page.get_by_role("button", name="Submit assessment").click()
    page.get_by_role("heading", name="Why").wait_for()
    screenshot(page, "outcome")
    check_accessibility(page, "outcome")
    content = page.content()
    assert "Health and social care" in content
    assert "District nursing" in content and "Falls" in content

    # A printable copy for the person: the answers, the decision, and no navigation in print.
    page.get_by_role("link", name="Print a copy for the person").click()
    page.get_by_text("The person's copy").wait_for()
    check_accessibility(page, "print view")
    page.emulate_media(media="print")
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.locator(".app-header")).to_be_hidden()
    expect(page.get_by_text("Peripheral neuropathy")).to_be_visible()
    screenshot(page, "print-view")
    pdf = page.request.get(page.url.replace("/print", "/print.pdf"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
