"""A real server and a real Chromium (Debian's, through Playwright) for journey tests.

The server runs in a thread on its own SQLite database, built by the migrations and seeded with
the reference data, because a browser needs committed data. Screenshots of key pages go to
test-results/screenshots/ (kept out of git).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from assessment_engine import create_app
from assessment_engine.extensions import db

from ..conftest import seed_reference_data
from ..factories import Phone, enrol

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "test-results" / "screenshots"
CHROMIUM = os.environ.get("ASSESSMENT_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium to run these")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("browser") / "browser.db"
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "browser-test-secret-key",
            "SIGN_IN_RATE_LIMIT": "1000 per minute",
            "AUDIT_CHECKPOINT_FILE": str(path.parent / "checkpoints.jsonl"),
            "SIGN_IN_ACCOUNT_RATE_LIMIT": "1000 per minute",
            "SECOND_FACTOR_RATE_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        upgrade()
        seed_reference_data(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def server_url(live_app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=server_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Generous: CI machines have two cores and may be busy; a real failure still fails.
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A form shown again with its errors answers 422 (or 409 for an editing conflict), which
    # the browser reports as a failed load; anything else in the console is a real error.
    expected = re.compile(r"status of (422|409) ")
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not expected.search(msg.text)
            else None
        ),
    )
    yield page
    context.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


#: Each browser-test user's authenticator app, by email.
PHONES: dict[str, Phone] = {}


def make_user(app: Any, second_factor: bool | None = None, **kwargs: Any) -> Any:
    """Create and commit a user in the live server's database; with an authenticator app set
    up (in PHONES) where their role needs one, or if ``second_factor``."""
    from assessment_engine.auth.models import Role
    from assessment_engine.auth.services import create_user
    from assessment_engine.partners.services import get_organisation

    with app.app_context():
        org = get_organisation(db.session, kwargs.pop("org", "perth-kinross-council"))
        user = create_user(
            db.session, organisation=org, role=Role(kwargs.pop("role", "assessor")), **kwargs
        )
        if second_factor is None:
            second_factor = user.role.value in app.config["SECOND_FACTOR_ROLES"]
        if second_factor:
            PHONES[user.email], _codes = enrol(db.session, app.extensions["totp_cipher"], user)
        db.session.commit()
        return user.email


def sign_in(page: Any, email: str, password: str) -> None:
    """Sign in through the pages: the password, then a code from the user's app if asked."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("h1", has_text=re.compile("^(Dashboard|Enter your code)$")).wait_for()
    if "/sign-in/code" in page.url:
        page.get_by_label("Code").fill(PHONES[email].code())
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def make_client(app: Any, given: str, family: str, dob: Any) -> str:
    """Create and commit a person; returns their CHI number."""
    from assessment_engine.demo import demo_chi
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.partners.services import get_organisation
    from assessment_engine.records import services as records

    with app.app_context():
        org = get_organisation(db.session, "perth-kinross-council")
        chi = demo_chi(dob, 42, female=True)
        records.create_client(
            db.session,
            Actor.command_line(org.id),
            records.ClientDetails(chi=chi, given_name=given, family_name=family, date_of_birth=dob),
        )
        db.session.commit()
        return chi


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def check_accessibility(page: Any, name: str) -> None:
    """Run axe-core (from the npm package, no CDN) on the page as shown; fail on any violation
    of WCAG 2.2 A/AA, or of "region" (all content inside a landmark: a best practice, not a
    WCAG tag, so named here), naming the rule, its help text and the elements it found."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install` installs axe-core from package.json")
    # Evaluated through the browser's protocol, so the pages' CSP (no inline scripts) stays on.
    page.evaluate(f"() => {{ {AXE.read_text()}\n window.axe = axe; }}")
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
            rules: {region: {enabled: true}}})"""
    )
    problems = [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]
    assert problems == [], f"accessibility problems on {name}: {problems}"
