"""The person-level quarterly return in a real browser: a performance analyst signs in (with a
code: the role must use one), opens "Quarterly return" from the menu, chooses this quarter and
downloads the CSV, which has the row of the person the council assessed today, keyed by CHI,
with no name in it. axe-core checks the page."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

from assessment_engine.assessments.clock import uk_today
from assessment_engine.extensions import db
from assessment_engine.reports.quarterly import COLUMNS, Quarter

from ..factories import example_answers
from .conftest import check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "a quarterly return password"


def _assessed_today(app: Any, chi: str, assessor_email: str) -> None:
    """The council's assessor submits a joint assessment of the person today."""
    from sqlalchemy import select

    from assessment_engine.assessments import services
    from assessment_engine.auth.models import User
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.records.services import find_by_chi

    with app.app_context():
        assessor = db.session.scalar(select(User).where(User.email == assessor_email))
        actor = Actor.for_user(assessor)
        version = services.latest_published(db.session, "joint-assessment")
        assessment = services.start_assessment(
            db.session,
            actor,
            find_by_chi(db.session, chi),
            version,
            example_answers("frail-older-person-living-alone"),
        )
        prepared = services.prepare_version(
            db.session, app.extensions["assessment_versions"], assessment.questionnaire_version
        )
        services.submit(db.session, actor, assessment, prepared, expected_version=None)
        db.session.commit()


def test_the_analyst_downloads_this_quarters_return(
    page: Any, live_app: Any, tmp_path: Path
) -> None:
    chi = make_client(live_app, "Elspeth", "Quarterly-Return", date(1940, 6, 15))
    assessor = make_user(
        live_app, email="return.assessor@pkc.example", name="Rhona Assessor", password=PASSWORD
    )
    _assessed_today(live_app, chi, assessor)
    analyst = make_user(
        live_app,
        email="return.analyst@pkc.example",
        name="Calum Analyst",
        password=PASSWORD,
        role="performance_analyst",
    )
    sign_in(page, analyst, PASSWORD)
    page.get_by_role("link", name="Quarterly return").click()
    page.get_by_role("heading", name="Person-level quarterly return").wait_for()
    this = Quarter.of(uk_today())
    page.get_by_label("Quarter").select_option(this.label)
    check_accessibility(page, "the quarterly return")
    screenshot(page, "quarterly-return")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download the return (CSV)").click()
    download = downloading.value
    assert download.suggested_filename == f"return-{this.label}.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(COLUMNS)
    (row,) = [r for r in rows if r["chi"] == chi]
    assert row["assessed_on"] == uk_today().isoformat()
    assert (row["route"], row["priority"]) == ("social_care", "substantial")
    assert row["services_referred"] == "Community link worker; Home care"
    assert row["support_plan_id"] == ""
    assert "Quarterly-Return" not in text and "Elspeth" not in text
