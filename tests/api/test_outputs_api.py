"""GET /api/v1/reports/outputs: the page's tables for the caller's own organisation, JSON or
CSV; the reports:read scope is never a default; bad filters are problem+json on their
parameter."""

from __future__ import annotations

import csv
import io
from typing import Any

from assessment_engine.api.tokens import DEFAULT_SCOPES
from assessment_engine.assessments.clock import uk_today

from ..factories import example_answers

COUNCIL = "perth-kinross-council"


def test_outputs_as_json_and_csv(app: Any, api_as: Any, factories: Any) -> None:
    assessor = factories.user("assessor", COUNCIL)
    factories.submitted(app, example_answers("carer-under-strain"), assessor)
    assert "reports:read" not in DEFAULT_SCOPES
    refused = api_as(COUNCIL).get("/api/v1/reports/outputs")
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    council = api_as(COUNCIL, ["reports:read"])
    found = council.get("/api/v1/reports/outputs")
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert body["organisation"] == COUNCIL
    tables = {t["key"]: t for t in body["tables"]}
    month = uk_today().isoformat()[:7]
    assert [month, 1, 1, 0.0] in tables["activity"]["rows"]
    assert "Home care" in {row[0] for row in tables["referrals"]["rows"]}
    # Another partner's system sees its own organisation's figures: none of the council's.
    tayside = api_as("nhs-tayside", ["reports:read"]).get("/api/v1/reports/outputs").get_json()
    assert [month, 0, 0, None] in {t["key"]: t for t in tayside["tables"]}["activity"]["rows"]
    for asked in ({"headers": {"Accept": "text/csv"}}, {"query_string": {"format": "csv"}}):
        as_csv = council.get("/api/v1/reports/outputs", **asked)
        assert as_csv.status_code == 200
        assert as_csv.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
        assert rows[0] == ["table", "row", "column", "value"]
        assert ["activity", month, "Submitted", "1"] in rows


def test_bad_filters_are_problems_on_their_parameters(api_as: Any) -> None:
    council = api_as(COUNCIL, ["reports:read"])
    bad = council.get(
        "/api/v1/reports/outputs",
        query_string={"from": "2026-02-30", "organisation": "nhs-tayside"},
    )
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    assert {e["parameter"] for e in bad.get_json()["errors"]} == {"from"}
    other = council.get("/api/v1/reports/outputs", query_string={"organisation": "nhs-tayside"})
    assert other.status_code == 422
    assert other.get_json()["errors"] == [
        {"parameter": "organisation", "message": "You can see only your own organisation's figures"}
    ]
    assert council.get("/api/v1/reports/outputs?group_by=week").status_code == 422
