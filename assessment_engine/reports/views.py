"""``/reports/return``: a performance analyst downloads the quarterly return's CSV (thin: the
rules are ``quarterly`` and ``kernel.policy.in_return``, as for the API and the command line)."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from ..assessments.clock import uk_today
from ..auth import roles_required
from ..extensions import db
from ..kernel.actor import Role
from ..pages import actor as web_actor
from ..pages import attempt, page
from .csv import csv_response
from .forms import ReturnForm
from .quarterly import COLUMNS, Quarter, quarterly_return, recent_quarters


def _session() -> Session:
    return cast(Session, db.session)


bp = Blueprint("reports", __name__)


@bp.route("/reports/return", methods=["GET", "POST"])
@roles_required(Role.PERFORMANCE_ANALYST)
@page
def quarterly_return_page() -> ResponseReturnValue:
    """Choose a quarter; the CSV downloads (every person in it audited on their record)."""
    today = uk_today()
    form = ReturnForm()
    quarters = recent_quarters(today)
    form.offer(quarters)
    if request.method == "GET":
        form.quarter.data = quarters[1].label  # the last complete quarter
    elif form.validate_on_submit():
        made = attempt(
            lambda: quarterly_return(
                _session(), web_actor(), Quarter.parse(form.quarter.data, today)
            ),
            form,
            field="quarter",
        )
        if made.result is not None:
            label = made.result.quarter.label
            return csv_response(COLUMNS, made.result.rows, f"return-{label}.csv")
    status = 422 if form.errors else 200
    return render_template("reports/return.html", form=form, columns=COLUMNS), status
