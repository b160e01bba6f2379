"""An administrator changes GAD-7's rules without writing JSON, in a real browser: a banded sum
and a referral that follows its band, a test case saved from the preview that fails after a band
change and passes after the fix, and "what if" showing a referral's urgency change as a change.
axe-core checks every page on the way; screenshots are kept in test-results/screenshots."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from assessment_engine.extensions import db

from ..factories import Factories
from .conftest import check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "a rules journey password"
WORRY = ("Not being able to stop or control worrying", "Worrying too much about different things")
#: A GAD-7 total of 10 (moderate: routine referral to primary care mental health), worry 2.
SUBMITTED = {"item1": 3, "item2": 1, "item3": 1, "item4": 3, "item5": 2, "item6": 0, "item7": 0}


def _submitted_gad7(app: Any, email: str, chi: str) -> None:
    from assessment_engine.assessments import services
    from assessment_engine.auth.models import User
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.records.models import Client

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        person = db.session.scalar(select(Client).where(Client.chi == chi))
        made = Factories(db.session, app).assessment(
            client=person, answers={"gad7": SUBMITTED}, key="gad-7", user=user
        )
        prepared = services.prepare_version(
            db.session, app.extensions["assessment_versions"], made.questionnaire_version
        )
        services.submit(db.session, Actor.for_user(user), made, prepared, expected_version=None)
        db.session.commit()


def _bands(page: Any, low: tuple[int, int], high: tuple[int, int]) -> None:
    for row, (name, (lowest, highest)) in enumerate((("Low", low), ("High", high)), start=1):
        page.get_by_label(f"Band {row}: name").fill(name)
        page.get_by_label(f"Band {row}: lowest total").fill(str(lowest))
        page.get_by_label(f"Band {row}: highest total").fill(str(highest))


def _answer(page: Any, question: str, option: str) -> None:
    page.get_by_role("group", name=question).get_by_label(option, exact=True).check()


def _case(page: Any) -> Any:
    return page.locator(".app-case", has_text="High worry goes to a link worker")


def test_an_administrator_builds_rules_and_a_test_case_without_json(
    page: Any, live_app: Any
) -> None:
    admin = make_user(
        live_app,
        email="admin.rules@pkc.example",
        name="Isla Admin",
        password=PASSWORD,
        role="administrator",
    )
    assessor = make_user(
        live_app, email="assessor.rules@pkc.example", name="Calum Assessor", password=PASSWORD
    )
    chi = make_client(live_app, "Fiona", "Baird", date(1957, 2, 11))
    _submitted_gad7(live_app, assessor, chi)

    sign_in(page, admin, PASSWORD)
    page.goto("/admin/questionnaires")
    page.get_by_role("button", name="Start a new draft of GAD-7").click()
    page.get_by_role("heading", name=re.compile("Version 3")).wait_for()
    page.get_by_role("link", name="Rules and test cases in words").click()
    page.get_by_role("heading", name="Rules and test cases").wait_for()
    assert "Refers to Primary care mental health team (routine, priority moderate)" in (
        page.locator("#rule-list").inner_text()
    )
    check_accessibility(page, "rules in words")

    # A banded sum of two questions, chosen by their words; refused first on a missing bound.
    page.get_by_role("link", name="Add a scored total with bands").click()
    page.get_by_label("Name of the total").fill("Worry")
    for question in WORRY:
        page.get_by_label(question).check()
    _bands(page, (0, 3), (4, 6))
    page.get_by_label("Band 2: highest total").fill("")
    page.get_by_role("button", name="Add the total and its bands").click()
    page.locator(".govuk-error-summary").get_by_text(
        "Enter the highest total of band 2, as a number"
    ).wait_for()
    check_accessibility(page, "banded sum refused")
    page.get_by_label("Band 2: highest total").fill("6")
    screenshot(page, "rules-banded-sum")
    page.get_by_role("button", name="Add the total and its bands").click()
    page.get_by_text("The total Worry and its bands were added.").wait_for()
    rules = page.locator("#rule-list").inner_text()
    assert f"Adds up the scores of “{WORRY[0]}”, “{WORRY[1]}” into the total worry_total" in rules
    assert "Low 0 to 3, High 4 to 6" in rules

    # A referral that follows the band.
    page.get_by_role("link", name="Add a referral").click()
    page.get_by_label("Refer to").select_option("link-worker")
    page.get_by_label("worry is in the band High").check()
    page.get_by_role("group", name="Urgency").get_by_label("Routine").check()
    page.get_by_role("group", name="Priority").get_by_label("Low").check()
    check_accessibility(page, "add a referral")
    screenshot(page, "rules-referral")
    page.get_by_role("button", name="Add the referral").click()
    page.get_by_text("The referral was added.").wait_for()
    assert (
        "Refers to Community link worker (routine, priority low) when the band of worry is “High”"
        in (page.locator("#rule-list").inner_text())
    )
    screenshot(page, "rules-in-words")

    # A flag is two steps: the answer it tests, then how (with that question's options).
    page.get_by_role("link", name="Add a flag").click()
    check_accessibility(page, "add a flag: which answer")
    page.get_by_label("Which answer or total does the flag test?").select_option(label=WORRY[0])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name=f"Add a flag on “{WORRY[0]}”").wait_for()
    assert page.get_by_label("Nearly every day").count() == 1
    check_accessibility(page, "add a flag: how")
    page.get_by_role("link", name="Back to the rules").click()

    # The preview's answers and decision saved as a test case.
    page.get_by_role("link", name="Back to version 3").click()
    page.get_by_role("link", name="Preview as an assessor sees it").click()
    answers = {
        "Feeling nervous, anxious or on edge": "Not at all",
        WORRY[0]: "More than half the days",
        WORRY[1]: "More than half the days",
        "Trouble relaxing": "Not at all",
        "Being so restless that it is hard to sit still": "Not at all",
        "Becoming easily annoyed or irritable": "Not at all",
        "Feeling afraid as if something awful might happen": "Not at all",
    }
    for question, option in answers.items():
        _answer(page, question, option)
    page.get_by_role("button", name="Apply answers and run the rules").click()
    page.locator("#rules-panel").get_by_text("link-worker", exact=True).wait_for()
    page.get_by_role("button", name="Save these answers as a test case").click()
    page.get_by_role("heading", name="Save the preview as a test case").wait_for()
    assert page.get_by_label("Community support").is_checked()
    assert (
        page.get_by_role("group", name="Expected referrals (exactly these services)")
        .get_by_label("Community link worker")
        .is_checked()
    )
    check_accessibility(page, "save a test case")
    screenshot(page, "rules-save-case")
    page.get_by_label("Name of the test case").fill("High worry goes to a link worker")
    page.get_by_role("button", name="Save the test case").click()
    page.get_by_text("The test case High worry goes to a link worker was saved.").wait_for()
    assert _case(page).locator(".govuk-tag").inner_text() == "Pass"

    # A band change breaks the case, named on its rules and questions; the fix mends it.
    page.get_by_role("link", name="Change the bands of Worry").click()
    _bands(page, (0, 4), (5, 6))
    page.get_by_role("button", name="Save the bands").click()
    page.get_by_text("test case(s) now fail").wait_for()
    failing = _case(page).inner_text()
    assert failing.startswith("Fail") and "services are [], expected [link-worker]" in failing
    assert "Rules concerned: Worry, Routing." in failing or "Rules concerned: Routing, Worry." in (
        failing
    )
    assert f"Questions concerned: {WORRY[0]}; {WORRY[1]}." in failing
    screenshot(page, "rules-failing-case")
    check_accessibility(page, "rules with a failing case")
    page.get_by_role("link", name="Change the bands of Worry").click()
    _bands(page, (0, 3), (4, 6))
    page.get_by_role("button", name="Save the bands").click()
    page.get_by_text("The bands were saved.").wait_for()
    assert _case(page).locator(".govuk-tag").inner_text() == "Pass"

    # Primary care mental health becomes urgent: "what if" shows it as a change.
    page.get_by_role(
        "button",
        name=re.compile(r"Remove this referral\s*: Refers to Primary care mental health team"),
    ).click()
    page.get_by_text("The referral was removed.").wait_for()
    page.get_by_role("link", name="Add a referral").click()
    page.get_by_label("Refer to").select_option("primary-care-mental-health")
    page.get_by_label("the flag mood_needs_support is set").check()
    page.get_by_role("group", name="Urgency").get_by_label("Urgent").check()
    page.get_by_role("group", name="Priority").get_by_label("Moderate").check()
    page.get_by_role("button", name="Add the referral").click()
    page.get_by_text("The referral was added.").wait_for()

    page.goto("/admin/questionnaires/gad-7/versions/3/what-if")
    page.get_by_role("button", name="Re-score recent assessments").click()
    page.get_by_role("heading", name=re.compile(r"1 of \d+ decisions would change")).wait_for()
    row = page.locator("#what-if-rows tbody tr", has_text="Fiona Baird")
    text = row.inner_text()
    assert "Changes" in text
    assert "Referral to Primary care mental health team: urgency routine to urgent" in text
    screenshot(page, "what-if-urgency")
    check_accessibility(page, "what if")

    # A published version's builders say why they cannot be used (a page, not a bare 409).
    response = page.goto("/admin/questionnaires/gad-7/versions/1/rules/sum")
    assert response is not None and response.status == 409
    page.get_by_role("heading", name="This version can no longer change").wait_for()
    screenshot(page, "rules-cannot-build")
    check_accessibility(page, "a builder on a published version")
