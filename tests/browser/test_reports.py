"""The outputs and outcomes page in a real browser, on the demo data: the council's team
manager opens it, sees the charts and tables agree with the demo's records, filters by route,
downloads a table's CSV, opens the list of the people whose support is overdue from its count;
the partnership lead sees every partner's counts (small ones shown as "<5") and no one's name.
axe-core checks each state."""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from assessment_engine.assessments.clock import uk_today
from assessment_engine.extensions import db

from .conftest import check_accessibility, make_user, screenshot, sign_in

PASSWORD = "an outputs page password"


def _demo(app: Any) -> dict[str, Any]:
    """Load the demo data into the live server's database; what it holds, counted from the
    records: the council's assessments submitted this month (all, and by the community route)
    and the demo people's family names."""
    from assessment_engine.assessments.clock import uk_date, uk_today
    from assessment_engine.assessments.models import Assessment, Decision
    from assessment_engine.demo import PEOPLE, load_demo
    from assessment_engine.partners.services import get_organisation

    with app.app_context():
        load_demo(
            db.session,
            Path(app.config["FORM_SCHEMAS_DIR"]),
            app.extensions["assessment_versions"],
        )
        db.session.commit()
        council = get_organisation(db.session, "perth-kinross-council")
        month = uk_today().isoformat()[:7]
        rows = db.session.execute(
            select(Assessment.submitted_at, Decision.route)
            .join(Decision, Decision.assessment_id == Assessment.id)
            .where(Assessment.organisation_id == council.id, Assessment.submitted_at.is_not(None))
        ).all()
        this_month = [r for r in rows if uk_date(r.submitted_at).isoformat()[:7] == month]
        return {
            "month": month,
            "submitted": len(this_month),
            "community": sum(1 for r in this_month if r.route.value == "community"),
            "names": [family for _given, family, *_rest in PEOPLE],
        }


def _activity_row(page: Any, month: str) -> list[str]:
    row = page.locator("#activity-table tbody tr", has=page.locator("th", has_text=month))
    return [cell.strip() for cell in row.locator("th, td").all_inner_texts()]


def _chart_text(page: Any, key: str) -> str:
    source = page.locator(f"#{key} img").get_attribute("src")
    assert source.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(source.split(",", 1)[1]).decode()


def test_team_manager_and_partnership_lead(
    page: Any, live_app: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    demo = _demo(live_app)
    assert demo["submitted"] > 0
    manager = make_user(
        live_app,
        email="outputs.manager@pkc.example",
        name="Outputs Manager",
        password=PASSWORD,
        role="team_manager",
    )
    sign_in(page, manager, PASSWORD)
    page.get_by_role("link", name="Outputs and outcomes").click()
    page.get_by_role("heading", name="Outputs and outcomes", level=1).wait_for()
    month, submitted = demo["month"], demo["submitted"]
    row = _activity_row(page, month)
    assert row[0] == month and int(row[2]) == submitted
    # The chart draws the same number the table shows.
    assert f">{submitted}<" in _chart_text(page, "activity")
    expect(page.locator("#breaches")).to_be_visible()
    screenshot(page, "reports-team-manager")
    check_accessibility(page, "the outputs page (team manager)")

    page.get_by_label("Route", exact=True).select_option("community")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/reports?*route=community*")
    assert int(_activity_row(page, month)[2]) == demo["community"]
    check_accessibility(page, "the outputs page, filtered")

    with page.expect_download() as downloading:
        page.locator("#activity").get_by_role(
            "link", name=re.compile("^Download this table as CSV")
        ).click()
    saved = tmp_path / "activity.csv"
    downloading.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["Month", "Started", "Submitted"]
    assert next(r for r in rows if r[0] == month)[2] == str(demo["community"])

    page.get_by_label("Locality", exact=True).fill("=SUM(1)")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    check_accessibility(page, "the outputs page, a bad filter")

    # Seven weeks on, the demo's referrals with no support started are overdue: the page counts
    # them and names no one; the manager opens the list of the people from it.
    later = uk_today() + timedelta(days=50)
    monkeypatch.setattr("assessment_engine.reports.views.uk_today", lambda: later)
    page.goto("/reports")
    count = int(page.locator("#breaches-count span").inner_text())
    assert count > 0
    text = page.locator("main").inner_text()
    for name in demo["names"]:
        assert name not in text
    check_accessibility(page, "the outputs page, support overdue")
    page.get_by_role("link", name="See the people whose support is overdue").click()
    page.get_by_role("heading", name="People whose support is overdue", level=1).wait_for()
    listed = page.locator("#breaches-table tbody tr")
    assert listed.count() > 0
    # (other journeys on this server add people of their own, who may be more overdue)
    table = page.locator("#breaches-table").inner_text()
    assert any(name in table for name in demo["names"])
    screenshot(page, "reports-breaches")
    check_accessibility(page, "the people whose support is overdue")
    monkeypatch.undo()

    page.get_by_role("button", name="Sign out").click()
    lead = make_user(
        live_app,
        email="outputs.lead@pkc.example",
        name="Outputs Lead",
        password=PASSWORD,
        role="partnership_lead",
    )
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(lead)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Outputs and outcomes", level=1).wait_for()
    expect(page.locator(".govuk-caption-l", has_text="All partners")).to_be_visible()
    expect(page.locator("#suppression")).to_be_visible()
    expect(page.locator("#breaches")).to_have_count(0)
    text = page.locator("main").inner_text()
    for name in demo["names"]:
        assert name not in text
    assert "<5" in text
    expect(page.get_by_role("link", name="Find a person")).to_have_count(0)
    screenshot(page, "reports-partnership-lead")
    check_accessibility(page, "the outputs page (partnership lead)")
