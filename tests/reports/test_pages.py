"""The outputs page and its CSV: for team managers and partnership leads, refused to others
with a clear page; filters refused on their fields; every table as CSV, cells escaped."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from assessment_engine.assessments.clock import uk_today


def test_the_team_manager_sees_figures_charts_and_breaches(
    client: Any, login_as: Any, world: dict[str, Any]
) -> None:
    login_as("team_manager", "perth-kinross-council")
    page = client.get("/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Outputs and outcomes" in html
    assert html.count('src="data:image/svg+xml;base64,') == 5
    for key in ("activity", "routes", "priorities", "referrals", "times", "standard", "reviews"):
        assert f'id="{key}-table"' in html
    assert 'id="breaches"' in html
    assert "<5" not in html  # nothing suppressed in an organisation's own view
    for person in world["people"]:  # counts only: the people overdue are a page of their own
        assert person.family_name not in html
    month = uk_today().isoformat()[:7]
    table = client.get("/reports/activity.csv")
    assert table.status_code == 200
    assert table.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(table.get_data(as_text=True))))
    assert rows[0] == ["Month", "Started", "Submitted", "Community route (% of submitted)"]
    assert [month, "2", "2", "0.0"] in rows
    assert client.get("/reports/nothing.csv").status_code == 404
    every = list(csv.reader(io.StringIO(client.get("/reports/all.csv").get_data(as_text=True))))
    assert every[0] == ["table", "row", "column", "value"]
    assert ["activity", month, "Submitted", "2"] in every


def test_the_team_manager_opens_the_people_overdue_on_their_own_page(
    client: Any, login_as: Any, world: dict[str, Any], monkeypatch: Any
) -> None:
    login_as("team_manager", "perth-kinross-council")
    assert 'id="breaches-none"' in client.get("/reports/breaches").get_data(as_text=True)
    # Seven weeks on, the second home-care referral has had no support: overdue.
    later = uk_today() + timedelta(days=50)
    monkeypatch.setattr("assessment_engine.reports.views.uk_today", lambda: later)
    figures = client.get("/reports").get_data(as_text=True)
    assert 'id="breaches-count"' in figures and "See the people whose support is overdue" in figures
    assert world["people"][1].family_name not in figures
    assert client.get("/reports/breaches?service=nonsense").status_code == 400
    page = client.get("/reports/breaches")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "People whose support is overdue" in html
    assert world["people"][1].display_name in html
    assert world["people"][0].family_name not in html  # their support started
    listed = client.get("/reports/breaches.csv")
    assert listed.status_code == 200
    rows = list(csv.reader(io.StringIO(listed.get_data(as_text=True))))
    assert rows[0] == ["Person", "Service", "Assessed", "Due", "Started", "Clock"]
    assert [row[0] for row in rows[1:]] == [world["people"][1].display_name]


def test_bad_filters_are_shown_on_their_fields(client: Any, login_as: Any) -> None:
    login_as("team_manager", "perth-kinross-council")
    page = client.get("/reports?from=2026-02-30&locality=%3DSUM(1)")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#filter-from"' in html and 'href="#filter-locality"' in html
    assert "Enter a postcode district" in html
    assert client.get("/reports/activity.csv?from=nonsense").status_code == 400


def test_the_partnership_lead_sees_counts_and_no_one(
    client: Any, login_as: Any, world: dict[str, Any]
) -> None:
    login_as("partnership_lead", "nhs-tayside")
    # Their home is the figures: the dashboard lists people.
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/reports")
    html = client.get("/reports").get_data(as_text=True)
    assert "All partners" in html and "&lt;5" in html
    assert 'id="breaches"' not in html
    for person in world["people"]:
        assert person.family_name not in html
    assert 'id="filter-organisation"' in html
    assert client.get("/reports/breaches.csv").status_code == 403
    assert client.get("/reports/breaches").status_code == 403
    # Nor do they find or record people.
    assert client.get("/people?q=MacDonald").status_code == 403
    assert client.get("/people/new").status_code == 403


def test_assessors_are_refused_with_a_clear_page(client: Any, login_as: Any) -> None:
    login_as("assessor", "perth-kinross-council")
    refused = client.get("/reports")
    assert refused.status_code == 403
    assert "Your role does not allow it" in refused.get_data(as_text=True)
    assert "Outputs and outcomes" not in client.get("/").get_data(as_text=True)
