"""Reports (api.md "Additions"): the person-level quarterly return, from the same service as
the page and the command line (``reports.quarterly``)."""

from __future__ import annotations

from flask import Response, request

from ..assessments.clock import uk_today
from ..reports.csv import csv_response
from ..reports.quarterly import COLUMNS, Quarter, ReturnError, quarterly_return
from .http import JSON, Call, json_response
from .problems import ApiError
from .routes import Routes
from .schemas import ReturnQuerySchema, ReturnSchema

route = Routes()
TAG = "Reports"
CSV = "text/csv"


def _wants_csv(call: Call) -> bool:
    if call.query.get("format"):
        return bool(call.query["format"] == "csv")
    return request.accept_mimetypes.best_match([JSON, CSV], default=JSON) == CSV


@route(
    "/reports/return",
    "GET",
    summary="The person-level quarterly return, keyed by CHI",
    tag=TAG,
    scope="reports:read",
    query=ReturnQuerySchema,
    responses={200: ("One row per person and support", ReturnSchema)},
    response_types=(JSON, CSV),
    problems=(400,),
)
def get_return(call: Call) -> Response:
    """Everyone your organisation assessed in the quarter (an assessment submitted in it) or
    supported in it (a support plan running in it): one row per person and support, keyed by
    CHI, with the assessment's date, route, priority and services referred, and the support's
    start, hours, SDS option, weekly cost and reviews. People whose sharing view keeps them
    from your organisation are left out (counted as `withheld`). Every person exported is
    noted on their record's audit trail. In CSV, a cell that begins with `=`, `+`, `-` or `@`
    starts with an apostrophe."""
    try:
        quarter = Quarter.parse(call.query.get("quarter"), uk_today())
    except ReturnError as error:
        raise ApiError(
            400,
            str(error),
            errors=[{"parameter": name, "message": m} for name, m in error.errors.items()],
        ) from None
    found = quarterly_return(call.session, call.actor, quarter)
    if _wants_csv(call):
        return csv_response(COLUMNS, found.rows, f"return-{quarter.label}.csv")
    return json_response(
        {
            "quarter": quarter.label,
            "first_day": quarter.first.isoformat(),
            "last_day": quarter.last.isoformat(),
            "columns": list(COLUMNS),
            "rows": found.rows,
            "people": found.people,
            "withheld": found.withheld,
        }
    )
