"""An administrator changes the joint assessment in the question editor, in a real browser: adds
a scored question shown only after a fall, edits one of its options, moves a question a rule
uses to another section (the rule follows), and publishes after the confirmation page; an
assessor's new assessment shows the change. axe-core checks every page on the way.

At the end the administrator retires the version made here, so that the later browser tests
(which share the live server's database) start assessments on the bundled version again."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from playwright.sync_api import expect

from .conftest import SCREENSHOTS, check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "a question editor password"
QUESTION = "Was the person hurt in the most recent fall?"


def _export(page: Any, part: str) -> str:
    response = page.request.get(
        f"/admin/questionnaires/joint-assessment/versions/4/export?part={part}"
    )
    assert response.status == 200
    return str(response.text())


def test_an_administrator_edits_questions_and_publishes(page: Any, live_app: Any) -> None:
    admin = make_user(
        live_app,
        email="admin.questions@pkc.example",
        name="Isla Admin",
        password=PASSWORD,
        role="administrator",
    )
    assessor = make_user(
        live_app, email="assessor.questions@pkc.example", name="Calum Assessor", password=PASSWORD
    )
    chi = make_client(live_app, "Morag", "Reid", date(1944, 3, 9))

    sign_in(page, admin, PASSWORD)
    page.goto("/admin/questionnaires")
    page.get_by_role("button", name="Start a new draft of Joint Single Shared Assessment").click()
    page.get_by_role("heading", name=re.compile("Version 4")).wait_for()
    page.get_by_role("link", name="Edit the questions").click()
    page.get_by_role("heading", name=re.compile("Questions of version 4")).wait_for()
    assert page.locator("#no-problems").is_visible()
    phq9 = page.locator("#mood-phq9")
    expect(phq9).to_contain_text("Read-only here")
    expect(phq9.get_by_role("link", name=re.compile("Edit it at its source"))).to_be_visible()
    screenshot(page, "question-editor-list")
    check_accessibility(page, "question editor list")

    # Add a scored question to Falls, shown only when the person has fallen.
    page.get_by_role("link", name="Add a question to Falls and mobility").click()
    page.get_by_role("heading", name="Add a question").wait_for()
    check_accessibility(page, "add a question")
    page.get_by_label("Question", exact=True).fill(QUESTION)
    page.get_by_label("Hint").fill("Ask about bruises, cuts and broken bones")
    page.get_by_label("Name").fill("hurt_in_fall")
    page.get_by_label("One scored answer from a list (radios with scores)").check()
    page.get_by_role("button", name="Add an option").click()
    page.get_by_role("button", name="Add an option").click()
    page.get_by_label("Words shown, option 1").fill("Not hurt")
    page.get_by_label("Code, option 1").fill("not_hurt")
    page.get_by_label("Score, option 1").fill("0")
    page.get_by_label("Words shown, option 2").fill("Hurt, needed treatment")
    page.get_by_label("Code, option 2").fill("treated")
    page.get_by_label("Score, option 2").fill("two")
    page.get_by_role("button", name="Save question").click()
    expect(page.locator("#options-1-score-error")).to_contain_text("Score must be a number")
    screenshot(page, "question-editor-option-error")
    check_accessibility(page, "a question with an option refused")
    page.get_by_label("Score, option 2").fill("2")
    page.get_by_label("Show this question when").select_option(
        label="Has the person fallen in the last 6 months? is Yes"
    )
    screenshot(page, "question-editor-add")
    page.get_by_role("button", name="Save question").click()
    row = page.locator("#falls-hurt_in_fall")
    expect(row).to_contain_text(QUESTION)
    assert page.locator("#no-problems").is_visible()
    # Move it up, above the person's own words.
    row.get_by_role("button", name=f"Up {QUESTION}").click()
    rows = page.locator("#falls .govuk-summary-list__row")
    expect(rows.last).not_to_have_id("falls-hurt_in_fall")
    ids = [rows.nth(i).get_attribute("id") for i in range(rows.count())]
    assert ids.index("falls-hurt_in_fall") == ids.index("falls-own_words") - 1
    page.locator("#falls").screenshot(path=str(SCREENSHOTS / "question-editor-falls.png"))
    check_accessibility(page, "question editor after adding")

    # Edit an option's words.
    row.get_by_role("link", name=re.compile("^Change")).click()
    page.get_by_role("heading", name="Change question").wait_for()
    expect(page.get_by_label("Show this question when")).to_have_value(re.compile('"fallen", true'))
    page.get_by_label("Words shown, option 2").fill("Hurt, and needed treatment")
    screenshot(page, "question-editor-change")
    check_accessibility(page, "change a question")
    page.get_by_role("button", name="Save question").click()
    expect(page.locator("#falls-hurt_in_fall")).to_be_visible()
    document = _export(page, "document")
    assert "Hurt, and needed treatment" in document and '"x-score": 2' in document

    # Move a question a rule uses to another section: the rule follows.
    assert "/personal_care/help_at_night" in _export(page, "rules")
    page.locator("#personal_care-help_at_night").get_by_role(
        "link", name=re.compile("^Change")
    ).click()
    page.get_by_label("Section").select_option("daily_living")
    page.get_by_role("button", name="Save question").click()
    expect(page.locator("#daily_living-help_at_night")).to_be_visible()
    rules = _export(page, "rules")
    assert "/daily_living/help_at_night" in rules and "/personal_care/help_at_night" not in rules
    assert page.locator("#no-problems").is_visible()
    screenshot(page, "question-editor-moved")

    # Deleting a question a rule uses is refused, with the reason.
    page.locator("#social-lonely").get_by_role("button", name=re.compile("^Delete")).click()
    expect(page.locator(".govuk-notification-banner, .app-flash, main").first).to_contain_text(
        "cannot be deleted"
    )

    # Publish, after the confirmation page says what changes for assessors.
    page.get_by_role("link", name="Publish version 4").click()
    page.get_by_role("heading", name="Publish version 4?").wait_for()
    changes = page.locator("#question-changes").inner_text()
    assert "/falls/hurt_in_fall" in changes and "/daily_living/help_at_night" in changes
    screenshot(page, "question-editor-publish")
    check_accessibility(page, "publish confirmation")
    page.get_by_role("button", name="Yes, publish version 4").click()
    page.get_by_text("Version 4 is published").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile("/sign-in"))

    # The assessor's new assessment is on version 4: the question appears after a fall.
    sign_in(page, assessor, PASSWORD)
    page.get_by_label("CHI number or name").fill(chi)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Morag Reid").click()
    page.get_by_role("button", name="Start a joint assessment").click()
    page.get_by_role("heading", name="Joint Single Shared Assessment").wait_for()
    page.get_by_role("link", name=re.compile("^Falls")).click()
    question = page.locator('[data-pointer="/falls/hurt_in_fall"]')
    expect(question).to_be_hidden()
    page.locator('input[type="radio"][name="falls-fallen"][value="true"]').check()
    expect(question).to_be_visible()
    expect(question.get_by_label("Hurt, and needed treatment")).to_be_visible()
    screenshot(page, "question-editor-assessor")
    check_accessibility(page, "falls section on version 4")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile("/sign-in"))

    # Leave the shared database as the other browser tests expect it.
    sign_in(page, admin, PASSWORD)
    page.goto("/admin/questionnaires")
    page.get_by_role("button", name="Retire version 4").click()
    page.get_by_text("Version 4 is retired").wait_for()
