"""The referral work queue pages: ``/referrals`` for the signed-in user's organisation.

Thin: the queue and its times come from ``assessments.queue``; accepting, declining and
completing from ``assessments.referrals`` (shared with the API). A referral addressed to another
organisation answers 404, whatever id is put in the address or the form.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from ..auth import roles_required
from ..auth.models import Role
from ..extensions import db
from ..pages import actor as web_actor
from ..pages import attempt, page
from ..records import access
from ..records.services import RecordNotFound
from ..scoring.outcomes import Priority, Urgency
from . import queue, referrals
from .clock import SupportClock, support_clock, uk_today
from .models import Referral, ReferralStatus

bp = Blueprint("queue", __name__)

_WORKERS = (Role.ASSESSOR, Role.TEAM_MANAGER)
AGE_CHOICES = ((7, "Over 1 week"), (14, "Over 2 weeks"), (28, "Over 4 weeks"), (42, "Over 6 weeks"))


@bp.get("/referrals")
@roles_required(*_WORKERS)
@page
def index() -> ResponseReturnValue:
    """Referrals addressed to the user's organisation, filtered, most urgent and oldest first."""
    filters = queue.parse_filters(
        request.args.getlist("status"), request.args.get("priority"), request.args.get("age")
    )
    rows = queue.work_queue(db.session, web_actor(), filters)
    return render_template(
        "referrals/index.html",
        clocks=_clocks([row.referral for row in rows]),
        rows=rows,
        filters=filters,
        statuses=list(ReferralStatus),
        priorities=list(Priority),
        ages=AGE_CHOICES,
        describe=queue.describe,
    )


def _clocks(found: list[Referral]) -> dict[Any, SupportClock]:
    """The 6-week standard's clock of each referral it applies to, with when support started
    (the support package provides the start dates, registered at start-up). A support plan is
    the person's record content: its start shows only where the person's sharing view lets the
    organisation see their content, as on the plan's own page."""
    started: Callable[..., dict[Any, date]] = current_app.extensions.get(
        "support_started", lambda _session, _ids: {}
    )
    visible = access.answers_visible(db.session, web_actor(), (r.client for r in found))
    starts = started(db.session, [r.id for r in found if r.client_id in visible])
    today = uk_today()
    return {
        r.id: clock
        for r in found
        if (clock := support_clock(r, starts.get(r.id), today)) is not None
    }


def _open(referral_id: str) -> Referral:
    try:
        return referrals.open_referral(db.session, web_actor(), referral_id)
    except RecordNotFound:
        abort(404)


def _render(referral: Referral, status: int = 200, **extra: Any) -> ResponseReturnValue:
    actor = web_actor()
    context = {
        "referral": referral,
        "row": queue.row_for(referral),
        "clock": _clocks([referral]).get(referral.id),
        "workers": queue.workers(db.session, actor),
        "may_decide": queue.may_decide(actor),
        "may_complete": queue.may_complete(actor, referral),
        "may_see_assessment": access.may_see_answers(db.session, actor, referral.client),
        "may_raise": queue.may_raise(actor, referral),
        "why": referrals.reasons_for(referral),
        "describe": queue.describe,
        "priorities": list(Priority),
        "urgencies": list(Urgency),
        "form": {},
        "error": None,
        "error_field": None,
    }
    context.update(extra)
    return render_template("referrals/referral.html", **context), status


@bp.get("/referrals/<referral_id>")
@roles_required(*_WORKERS)
@page
def show(referral_id: str) -> ResponseReturnValue:
    return _render(_open(referral_id))


def _expected() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400)


def _act(referral_id: str, action: str) -> ResponseReturnValue:
    actor = web_actor()
    referral = _open(referral_id)
    allowed = (
        queue.may_complete(actor, referral) if action == "complete" else queue.may_decide(actor)
    )
    if not allowed:
        abort(403)
    reason = request.form.get("reason", "")
    expected = _expected()

    def change() -> Referral:
        if action == "priority":
            return queue.raise_priority(
                db.session,
                actor,
                referral,
                expected_version=expected,
                priority=request.form.get("priority", ""),
                urgency=request.form.get("urgency", ""),
                reason=request.form.get("priority_reason", ""),
            )
        if action == "accept":
            return queue.accept(
                db.session,
                actor,
                referral,
                expected_version=expected,
                worker_id=request.form.get("worker") or None,
            )
        if action == "decline":
            return queue.decline(
                db.session, actor, referral, expected_version=expected, reason=reason
            )
        return queue.complete(db.session, actor, referral, expected_version=expected)

    refusal = attempt(change, refuse=(referrals.ReferralError,)).refusal
    if isinstance(refusal, referrals.StaleReferral):
        message = (
            "Someone else changed this referral since you opened it, so nothing was saved. "
            "It is shown as it is now; check it and try again."
        )
        return _render(_open(referral_id), 409, error=message, form=request.form)
    if isinstance(refusal, referrals.ReferralError):
        return _render(
            _open(referral_id),
            422,
            error=str(refusal),
            error_field=refusal.field,
            form=request.form,
        )
    if action == "priority":
        flash("The referral's priority has been raised.", "success")
    else:
        flash(f"Referral {referral.status.label.lower()}.", "success")
    return redirect(url_for("queue.show", referral_id=referral.id))


@bp.post("/referrals/<referral_id>/accept")
@roles_required(*_WORKERS)
@page
def accept(referral_id: str) -> ResponseReturnValue:
    return _act(referral_id, "accept")


@bp.post("/referrals/<referral_id>/decline")
@roles_required(*_WORKERS)
@page
def decline(referral_id: str) -> ResponseReturnValue:
    return _act(referral_id, "decline")


@bp.post("/referrals/<referral_id>/priority")
@roles_required(*_WORKERS)
@page
def raise_priority(referral_id: str) -> ResponseReturnValue:
    return _act(referral_id, "priority")


@bp.post("/referrals/<referral_id>/complete")
@roles_required(*_WORKERS)
@page
def complete(referral_id: str) -> ResponseReturnValue:
    return _act(referral_id, "complete")
