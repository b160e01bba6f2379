"""Check answers and sign-off in a real browser: a Change link comes back to check answers
once saved, the PHQ-9 total follows the answers as they are chosen (the server's total after
saving), and signing off shows what is being signed and asks to confirm it (an error on the
field when not). axe-core checks every page state on the way."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from assessment_engine.extensions import db

from ..factories import Factories, example_answers
from .conftest import check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "a sign-off journey password"


def _draft(app: Any, email: str, chi: str) -> str:
    """A draft of the joint assessment with every answer given, started by the user."""
    from assessment_engine.auth.models import User
    from assessment_engine.records.models import Client

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        person = db.session.scalar(select(Client).where(Client.chi == chi))
        made = Factories(db.session, app).assessment(
            client=person, answers=example_answers("carer-under-strain"), user=user
        )
        db.session.commit()
        return str(made.id)


def _total(page: Any) -> str:
    return str(page.locator("#mood-phq9-total .govuk-summary-list__value").inner_text()).strip()


def test_change_links_come_back_and_sign_off_asks_to_confirm(page: Any, live_app: Any) -> None:
    email = make_user(
        live_app,
        email="signing.sw@pkc.example",
        name="Signing Worker",
        password=PASSWORD,
        org="perth-kinross-council",
    )
    chi = make_client(live_app, "Morag", "Lindsay", date(1944, 9, 21))
    assessment_id = _draft(live_app, email, chi)
    phq9 = example_answers("carer-under-strain")["mood"]["phq9"]
    sign_in(page, email, PASSWORD)
    page.goto(f"/assessments/{assessment_id}/check")
    page.get_by_role("heading", name="Check your answers before submitting").wait_for()

    # Change a PHQ-9 answer: the total follows the choice before saving.
    page.locator('a[href$="/sections/mood?from=check#mood-phq9-item1"]').click()
    page.wait_for_url(re.compile(r"/sections/mood\?from=check"))
    assert _total(page) == str(sum(phq9.values()))
    expect(page.get_by_role("link", name="Back to check your answers")).to_be_visible()
    changed = 3 if phq9["item1"] != 3 else 0
    page.locator(f'input[name="mood-phq9-item1"][value="{changed}"]').check()
    expected = sum(phq9.values()) - phq9["item1"] + changed
    expect(page.locator("#mood-phq9-total .govuk-summary-list__value")).to_have_text(str(expected))
    screenshot(page, "signing-mood-from-check")
    check_accessibility(page, "mood from a Change link, total updated")
    page.get_by_role("button", name="Save and return to check your answers").click()

    # Back on check answers (not the next section), with the server's total.
    page.get_by_role("heading", name="Check your answers before submitting").wait_for()
    total_row = page.locator(".govuk-summary-list__row", has_text="PHQ-9 total score")
    assert total_row.locator(".govuk-summary-list__value").inner_text().strip() == str(expected)
    screenshot(page, "signing-check-after-change")
    check_accessibility(page, "check answers after a change")
    page.get_by_role("button", name="Submit assessment").click()
    page.get_by_role("heading", name="Why").wait_for()
    reasons = page.locator("#reasons").inner_text()
    assert "Referred to Carer support (Perth and Kinross Council)" in reasons
    assert "scores." not in reasons and "carer-support" not in reasons
    check_accessibility(page, "outcome in plain words")

    # Sign-off: a summary of what is signed, and a confirmation asked for.
    page.get_by_role("link", name="Sign off, co-sign or amend this assessment").click()
    summary = page.locator("#signing + .govuk-summary-list")
    expect(summary).to_contain_text("Morag Lindsay")
    expect(summary).to_contain_text("Carer support (Perth and Kinross Council), urgent")
    check_accessibility(page, "sign-off summary")
    page.get_by_role("button", name="Sign off").click()
    error = page.locator(".govuk-error-summary")
    error.wait_for()
    expect(error).to_contain_text("Confirm that you have checked what you are signing off")
    expect(page.locator(".govuk-error-message")).to_contain_text("Confirm that you have checked")
    screenshot(page, "signing-not-confirmed")
    check_accessibility(page, "sign-off not confirmed")
    error.get_by_role("link").first.click()
    page.get_by_label("I have checked the answers, the decision and the referrals").check()
    page.get_by_role("button", name="Sign off").click()
    page.get_by_text("Signed off.").wait_for()
    signed = page.locator(".govuk-summary-list__row").filter(
        has=page.locator("dt", has_text=re.compile(r"^\s*Signed off\s*$"))
    )
    expect(signed).to_contain_text("Signing Worker")
    expect(page.locator("#signing")).to_have_count(0)  # nothing left to sign
    screenshot(page, "signing-signed-off")
    check_accessibility(page, "signed off")
