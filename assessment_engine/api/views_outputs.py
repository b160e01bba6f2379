"""The managers' outputs and outcomes (api.md "Additions": ``GET /reports/outputs``): the
same service as the page (``reports.outputs``), counts and times of the caller's own
organisation, never a person; JSON, or CSV with ``Accept: text/csv`` or ``?format=csv``."""

from __future__ import annotations

from flask import Response, request

from ..assessments.clock import uk_today
from ..reports.csv import csv_response, csv_text
from ..reports.outputs import ReportError, by_slugs, long_table, outputs, parse_filters
from .http import CSV, Call, json_response
from .problems import ApiError
from .routes import Routes
from .schemas import OutputsQuerySchema, OutputsSchema

route = Routes()


def _refused(error: ReportError) -> ApiError:
    return ApiError(
        422,
        "The query parameters have problems; see errors.",
        errors=[{"parameter": name, "message": message} for name, message in error.errors.items()],
    )


def _wants_csv(call: Call) -> bool:
    if call.query.get("format"):
        return bool(call.query["format"] == "csv")
    best = request.accept_mimetypes.best_match(["application/json", CSV])
    return best == CSV


@route(
    "/reports/outputs",
    "GET",
    summary="Counts and times of your organisation's outputs and outcomes",
    tag="Reports",
    scope="reports:read",
    query=OutputsQuerySchema,
    responses={200: ("The tables of the outputs page", OutputsSchema)},
    response_types=("application/json", CSV),
    problems=(422,),
)
def get_outputs(call: Call) -> Response:
    """Assessments started and submitted by month, by route and by priority, and the
    community route's share; referrals by service (made, accepted, declined, completed,
    waiting now); median and 90th percentile days from start to submission, to acceptance and
    to support starting; personal care started within the 6-week standard; reviews due and
    overdue. The tables are the page's; the CSV has one line per table, row and column."""
    args = {k: v for k, v in request.args.items() if k not in ("group_by", "format")}
    try:
        filters = parse_filters(by_slugs(call.session, args), uk_today())
        found = outputs(call.session, call.actor, filters, uk_today())
    except ReportError as error:
        raise _refused(error) from None
    if _wants_csv(call):
        header, rows = long_table(found)
        name = f"outputs-{filters.first.isoformat()}-{filters.last.isoformat()}.csv"
        return csv_response(name, csv_text(header, rows))
    names = {o.id: o.slug for o in found.organisations}
    return json_response(
        {
            "organisation": names.get(found.filters.organisation_id or 0, ""),
            "period": {"from": filters.first.isoformat(), "to": filters.last.isoformat()},
            "filters": {k: v for k, v in request.args.items() if k not in ("from", "to", "format")},
            "group_by": "month",
            "folded_to": found.folded_to.isoformat() if found.folded_to else None,
            "tables": [
                {
                    "key": t.key,
                    "title": t.title,
                    "columns": t.columns,
                    "rows": t.rows,
                    "note": t.note,
                }
                for t in found.tables.values()
            ],
        }
    )
