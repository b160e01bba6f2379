"""Signing in and finding a person in a real browser; axe-core checks every page on the way."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from .conftest import check_accessibility, make_client, make_user, screenshot

PASSWORD = "a browser test password"


def test_sign_in_find_a_person_and_sign_out(page, live_app) -> None:
    email = make_user(
        live_app,
        email="browser.nurse@tayside.example",
        name="Browser Nurse",
        password=PASSWORD,
        org="nhs-tayside",
    )
    make_client(live_app, "Morag", "MacLeod", date(1940, 6, 1))

    page.goto("/")
    assert page.url.endswith("/sign-in?next=%2F")
    check_accessibility(page, "sign in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    # expect() waits for the answer to the post; is_visible() would look at the old page.
    expect(page.locator(".govuk-error-summary")).to_contain_text("Email or password is incorrect")
    screenshot(page, "sign-in-error")
    check_accessibility(page, "sign in with an error")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    # The header is the application's own: it takes the service's font, not the browser's serif.
    for part in (".app-header__name", ".app-header__user span"):
        font = page.locator(part).evaluate("e => getComputedStyle(e).fontFamily")
        assert "system-ui" in font, (part, font)
    screenshot(page, "dashboard")
    check_accessibility(page, "dashboard")

    page.get_by_label("CHI number or name").fill("mcleod")
    page.get_by_role("button", name="Search").click()
    screenshot(page, "search-results")
    check_accessibility(page, "search results")
    page.get_by_role("link", name="Morag MacLeod").click()
    page.get_by_role("heading", name="Morag MacLeod").wait_for()
    screenshot(page, "client-record")
    check_accessibility(page, "the person's record")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()
    check_accessibility(page, "signed out")
    page.goto("/")
    assert "/sign-in" in page.url
