"""The outputs and outcomes page for team managers and partnership leads (thin: the figures
are ``outputs``), and the CSV of each of its tables.

* ``/reports``: the figures for the filters in the query string, each chart with its table;
* ``/reports/breaches``: the team manager's list of the people whose support is overdue
  under the 6-week standard (the page above shows only how many: it names no one);
* ``/reports/<table>.csv``: one table as CSV (``all``: every table, long; ``breaches``: the
  team manager's list of the people overdue).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from ..assessments.clock import uk_today
from ..auth import roles_required
from ..extensions import db
from ..kernel.actor import Role
from ..pages import actor as web_actor
from ..pages import page
from ..scoring.outcomes import Priority, Route
from .charts import charts
from .csv import Cell, csv_response, csv_text
from .outputs import (
    Outputs,
    Overdue,
    ReportError,
    long_table,
    outputs,
    overdue_people,
    parse_filters,
)

bp = Blueprint("reports", __name__)

View = Callable[..., ResponseReturnValue]
#: Team managers and partnership leads; everyone else gets the 403 page.
readers = cast(Callable[[View], View], roles_required(Role.TEAM_MANAGER, Role.PARTNERSHIP_LEAD))
#: The people overdue are named to team managers only.
managers = cast(Callable[[View], View], roles_required(Role.TEAM_MANAGER))


def _outputs() -> Outputs:
    filters = parse_filters(request.args, uk_today())
    return outputs(
        cast(Session, db.session),
        web_actor(),
        filters,
        uk_today(),
        suppress_below=int(current_app.config["REPORTS_SUPPRESS_BELOW"]),
    )


def _overdue() -> Overdue:
    today = uk_today()
    return overdue_people(
        cast(Session, db.session), web_actor(), parse_filters(request.args, today), today
    )


@bp.get("/reports")
@readers
@page
def index() -> ResponseReturnValue:
    """The figures, their charts and tables, and the filters."""
    try:
        found = _outputs()
    except ReportError as error:
        return (
            render_template(
                "reports/outputs.html",
                found=None,
                errors=error.errors,
                args=request.args,
                routes=list(Route),
                priorities=list(Priority),
            ),
            422,
        )
    return render_template(
        "reports/outputs.html",
        found=found,
        charts=charts(found),
        errors={},
        args=request.args,
        routes=list(Route),
        priorities=list(Priority),
    )


@bp.get("/reports/breaches")
@managers
@page
def breaches() -> ResponseReturnValue:
    """The people whose personal care has not started within the standard, most overdue first,
    as far as their views on sharing allow (each one audited on their record)."""
    try:
        found = _overdue()
    except ReportError:
        abort(400)
    return render_template("reports/breaches.html", found=found)


def _breaches_csv() -> ResponseReturnValue:
    try:
        found = _overdue()
    except ReportError:
        abort(400)
    rows: list[list[Cell]] = [
        [b.name, b.service, b.assessed_on, b.due_on, b.started_on, b.words] for b in found.people
    ]
    return csv_response(
        f"outputs-breaches-{uk_today().isoformat()}.csv",
        csv_text(["Person", "Service", "Assessed", "Due", "Started", "Clock"], rows),
    )


@bp.get("/reports/<key>.csv")
@readers
@page
def table_csv(key: str) -> ResponseReturnValue:
    """One table of the page (for the same filters) as CSV; ``breaches``: the people overdue
    (team managers only)."""
    if key == "breaches":
        return _breaches_csv()
    try:
        found = _outputs()
    except ReportError:
        abort(400)
    name = f"outputs-{key}-{found.filters.first.isoformat()}-{found.filters.last.isoformat()}.csv"
    if key == "all":
        header, rows = long_table(found)
        return csv_response(name, csv_text(header, rows))
    table = found.tables.get(key)
    if table is None:
        abort(404)
    return csv_response(name, csv_text(table.columns, table.rows))
