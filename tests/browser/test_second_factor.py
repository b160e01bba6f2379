"""The second factor and passwords in a real browser: an administrator sets up an authenticator
app and signs in with its codes (a wrong or reused one is refused), a team manager reaches the
referral queue only once their app is set up, and a user changes their password. axe-core checks
every page on the way."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
from playwright.sync_api import expect

from ..factories import Phone
from .conftest import PHONES, check_accessibility, make_user, screenshot, sign_in

PASSWORD = "a second factor journey password"


def _password_step(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _set_up_app(page: Any, email: str) -> str:
    """On the set-up page: read the key as a person would type it into their app, enter the
    app's code, and continue past the recovery codes. Returns the code used."""
    page.get_by_role("heading", name="Set up your authenticator app").wait_for()
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    key = page.locator("#second-factor-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(key)
    now = time.time()
    code = totp.at(now)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Set up").click()
    page.get_by_role("heading", name="Save your recovery codes").wait_for()
    check_accessibility(page, "recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    PHONES[email] = Phone(key, int(now) // totp.interval)
    return code


def test_an_administrator_sets_up_the_app_and_signs_in_with_codes(page: Any, live_app: Any) -> None:
    email = make_user(
        live_app,
        email="totp.admin@pkc.example",
        name="Isla Admin",
        password=PASSWORD,
        role="administrator",
        second_factor=False,
    )
    _password_step(page, email)
    page.get_by_role("heading", name="Set up your authenticator app").wait_for()
    screenshot(page, "second-factor-set-up")
    check_accessibility(page, "second factor set-up")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Set up").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    check_accessibility(page, "second factor set-up with an error")

    used = _set_up_app(page, email)
    screenshot(page, "second-factor-recovery-codes")
    page.get_by_role("link", name="I have saved my codes, continue").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("heading", name="Administration").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()

    # Next time: the password, then a code. The one used already and a wrong one are refused.
    _password_step(page, email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    check_accessibility(page, "enter your code")
    page.get_by_label("Code").fill(used)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("used already")
    screenshot(page, "second-factor-reused-code")
    check_accessibility(page, "enter your code with an error")
    page.get_by_label("Code").fill("123456")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("not right")
    page.get_by_label("Code").fill(PHONES[email].code())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.get_by_role("link", name="Your account").click()
    expect(page.locator("#second-factor-status")).to_contain_text("10 recovery codes left")
    screenshot(page, "your-account")
    check_accessibility(page, "your account")


def test_a_team_manager_reaches_the_queue_only_once_the_app_is_set_up(
    page: Any, live_app: Any
) -> None:
    email = make_user(
        live_app,
        email="totp.manager@tayside.example",
        name="Fergus Manager",
        password=PASSWORD,
        role="team_manager",
        org="nhs-tayside",
        second_factor=False,
    )
    _password_step(page, email)
    page.get_by_role("heading", name="Set up your authenticator app").wait_for()
    page.goto("/referrals")
    assert "/sign-in" in page.url  # not signed in until the app is set up
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check_accessibility(page, "sign in before the app is set up")

    page.goto("/account/second-factor")
    _set_up_app(page, email)
    page.get_by_role("link", name="I have saved my codes, continue").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Referrals").click()
    page.wait_for_url(re.compile("/referrals"))
    page.get_by_role("heading", name="Referrals to your organisation").wait_for()
    screenshot(page, "team-manager-queue-after-set-up")
    check_accessibility(page, "empty referral queue")


def test_a_user_changes_their_password(page: Any, live_app: Any) -> None:
    new = "harbour violin pebble orchard"
    email = make_user(
        live_app,
        email="password.change@pkc.example",
        name="Mhairi Worker",
        password=PASSWORD,
    )
    sign_in(page, email, PASSWORD)
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Current password").wait_for()
    check_accessibility(page, "change your password")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("Confirm new password").fill("password1234")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("most common passwords")
    screenshot(page, "change-password-error")
    check_accessibility(page, "change your password with an error")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Confirm new password").fill(new)
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password was changed").wait_for()
    check_accessibility(page, "password changed")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()

    _password_step(page, email)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Email or password is incorrect")
    sign_in(page, email, new)
