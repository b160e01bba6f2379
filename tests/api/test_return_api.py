"""``GET /api/v1/reports/return`` (api.md "Additions"): only with the ``reports:read`` scope,
which no client gets by default; a bad quarter is a 400; JSON or CSV; each partner's own people;
sharing views applied and every exported person audited (the rules: tests/reports/)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from assessment_engine.api.tokens import DEFAULT_SCOPES
from assessment_engine.assessments.clock import uk_today
from assessment_engine.auth.models import User
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.models import AuditEvent
from assessment_engine.records.models import Client
from assessment_engine.records.sharing import record_sharing_view
from assessment_engine.reports.quarterly import COLUMNS, EXPORTED, Quarter

from ..reports.conftest import demo  # noqa: F401 - the fixture
from .test_bad_input import _problem

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"
URL = "/api/v1/reports/return"


def test_reports_read_is_never_a_default_scope(api_as: Any) -> None:
    assert "reports:read" not in DEFAULT_SCOPES
    body = _problem(api_as(COUNCIL).get(f"{URL}?quarter=2026-Q1"), 403)
    assert "reports:read" in body["detail"]
    only_support = api_as(COUNCIL, ["support:read", "clients:read"])
    _problem(only_support.get(f"{URL}?quarter=2026-Q1"), 403)
    _problem(api_as(COUNCIL).client.get(f"{URL}?quarter=2026-Q1"), 401)


@pytest.mark.parametrize("quarter", ["", "2026", "2026-Q0", "26-Q1", "2999-Q4", "1999-Q1"])
def test_a_bad_quarter_is_a_400_naming_the_parameter(api_as: Any, quarter: str) -> None:
    analyst = api_as(COUNCIL, ["reports:read"])
    body = _problem(analyst.get(URL, query_string={"quarter": quarter} if quarter else {}), 400)
    assert body["errors"][0]["parameter"] == "quarter"
    assert body["errors"][0]["message"]


def test_the_return_as_json_and_as_csv(
    api_as: Any,
    db_session: Any,
    demo: dict[str, User],  # noqa: F811
) -> None:
    this = Quarter.of(uk_today())
    council = api_as(COUNCIL, ["reports:read"])
    found = council.get(URL, query_string={"quarter": this.label})
    assert found.status_code == 200 and found.mimetype == "application/json"
    body = found.get_json()
    assert (body["quarter"], body["first_day"], body["last_day"]) == (
        this.label,
        this.first.isoformat(),
        this.last.isoformat(),
    )
    assert body["columns"] == list(COLUMNS) and body["people"] == 5 and body["withheld"] == 0
    assert len(body["rows"]) == 5 and all(row["assessed_by"] == COUNCIL for row in body["rows"])
    as_csv = council.get(URL, query_string={"quarter": this.label}, headers={"Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert [row["chi"] for row in rows] == [row["chi"] for row in body["rows"]]
    by_format = council.get(
        URL, query_string={"quarter": this.label.replace("-", ""), "format": "csv"}
    )
    assert by_format.mimetype == "text/csv" and by_format.get_data() == as_csv.get_data()
    # Another partner's system gets its own organisation's people, none of the council's.
    nhs = api_as(NHS, ["reports:read"]).get(URL, query_string={"quarter": this.label}).get_json()
    assert {row["assessed_by"] for row in nhs["rows"]} == {NHS}
    assert not {row["chi"] for row in nhs["rows"]} & {row["chi"] for row in body["rows"]}


def test_sharing_views_apply_and_each_export_is_audited(
    api_as: Any,
    db_session: Any,
    demo: dict[str, User],  # noqa: F811
) -> None:
    morag = db_session.scalar(select(Client).where(Client.family_name == "McDonald"))
    record_sharing_view(
        db_session,
        Actor.for_user(demo["priya.shah@tayside.example"]),
        morag,
        status="withdrawn",
        stated_on=date.today(),
        partner_ids=[demo["sam.reid@pkc.example"].organisation_id],
    )
    db_session.flush()
    this = Quarter.of(uk_today())
    body = api_as(COUNCIL, ["reports:read"]).get(URL, query_string={"quarter": this.label})
    found = body.get_json()
    assert found["people"] == 4 and found["withheld"] == 1
    assert morag.chi not in {row["chi"] for row in found["rows"]}
    (event,) = db_session.scalars(select(AuditEvent).where(AuditEvent.action == EXPORTED)).all()
    assert event.actor.startswith("api:") and len(event.linked_clients) == 4
    assert morag.id not in {link.client_id for link in event.linked_clients}
