"""The support and review pages for the receiving team (thin: the rules are ``services``).

* ``/referrals/<id>/support``: record the support arranged for an accepted referral;
* ``/support-plans/<id>``: a plan, its versions and reviews;
* ``/reviews``: the organisation's review queue (due, overdue; everyone's or mine);
* ``/reviews/<id>``: one review: start its review assessment, record its outcome.

A referral, plan or review of another organisation answers 404, whatever the address says.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..assessments.access import assessment_for
from ..assessments.clock import support_clock, uk_today
from ..assessments.models import Referral
from ..assessments.review import ReviewError, start_review
from ..auth import roles_required
from ..auth.models import Role
from ..extensions import db
from ..pages import actor as web_actor
from ..pages import attempt, page
from ..questionnaires.runtime import VersionCache
from ..records.services import RecordNotFound
from . import services
from .forms import OutcomeForm, SupportForm
from .models import Review, SupportPlan

bp = Blueprint("support", __name__)

_WORKERS = (Role.ASSESSOR, Role.TEAM_MANAGER)


def _referral(referral_id: str) -> Referral:
    try:
        return services.open_referral(db.session, web_actor(), referral_id)
    except RecordNotFound:
        abort(404)


@bp.route("/referrals/<referral_id>/support", methods=["GET", "POST"])
@roles_required(*_WORKERS)
@page
def record(referral_id: str) -> ResponseReturnValue:
    """Record the support arranged for an accepted referral; once recorded, the plan."""
    referral = _referral(referral_id)
    existing = services.plan_of_referral(db.session, referral.id)
    if existing is not None:
        return redirect(url_for("support.plan", plan_id=existing.id))
    form = SupportForm()
    if request.method == "GET":
        form.version.data = str(referral.version)
    elif form.validate_on_submit():
        try:
            expected = int(form.version.data or "")
        except ValueError:
            abort(400)
        saved = attempt(
            lambda: services.record_support(
                db.session,
                web_actor(),
                referral,
                start_date=form.start_date.data,
                summary=form.summary.data,
                hours_per_week=form.hours_per_week.data,
                sds_option=form.sds_option.data,
                weekly_cost=form.weekly_cost.data,
                expected_version=expected,
            ),
            form,
        )
        if saved.result is not None:
            flash("The support has been recorded and its first review scheduled.", "success")
            return redirect(url_for("support.plan", plan_id=saved.result.id))
        referral = _referral(referral_id)
    status = 422 if form.errors else 200
    clock = support_clock(referral, None, uk_today())
    return render_template("support/record.html", referral=referral, form=form, clock=clock), status


def _plan(plan_id: str) -> SupportPlan:
    try:
        return services.open_plan(db.session, web_actor(), plan_id)
    except RecordNotFound:
        abort(404)


@bp.get("/support-plans/<plan_id>")
@roles_required(*_WORKERS)
@page
def plan(plan_id: str) -> ResponseReturnValue:
    """A support plan: its current terms, every version (who, when, why) and its reviews."""
    found = _plan(plan_id)
    clock = support_clock(found.referral, found.start_date, uk_today())
    return render_template(
        "support/plan.html",
        plan=found,
        clock=clock,
        upcoming=services.next_review(found),
        hours=services.hours_text,
        cost=services.cost_text,
        today=uk_today(),
    )


@bp.get("/reviews")
@roles_required(*_WORKERS)
@page
def queue() -> ResponseReturnValue:
    """The organisation's reviews, most overdue first; ``mine`` for the user's own."""
    status = request.args.get("status") or "due"
    if status not in ("due", "overdue", "completed"):
        status = "due"
    mine = request.args.get("mine") == "1"
    today = uk_today()
    rows = services.review_queue(
        db.session,
        web_actor(),
        today,
        status=status,
        worker_id=current_user.id if mine else None,
        limit=200,
    )
    return render_template("support/reviews.html", rows=rows, status=status, mine=mine, today=today)


def _review(review_id: str) -> Review:
    try:
        return services.open_review(db.session, web_actor(), review_id)
    except RecordNotFound:
        abort(404)


def _render_review(review: Review, form: OutcomeForm, status: int = 200) -> ResponseReturnValue:
    plan = review.plan
    return render_template(
        "support/review.html",
        review=review,
        plan=plan,
        form=form,
        carer=services.carer_involved(
            plan.referral.assessment, services.last_assessment(plan), review.assessment
        ),
        hours=services.hours_text,
        cost=services.cost_text,
        today=uk_today(),
    ), status


@bp.get("/reviews/<review_id>")
@roles_required(*_WORKERS)
@page
def review(review_id: str) -> ResponseReturnValue:
    found = _review(review_id)
    form = OutcomeForm()
    form.version.data = str(found.version)
    return _render_review(found, form)


@bp.post("/reviews/<review_id>/assessment")
@roles_required(Role.ASSESSOR)
@page
def start_assessment(review_id: str) -> ResponseReturnValue:
    """Start the review assessment: a reassessment on the latest questionnaire version that
    carries forward the last assessment's answers (``assessments.review``)."""
    found = _review(review_id)
    if found.assessment_id is not None:
        return redirect(url_for("assessments.task_list", assessment_id=found.assessment_id))
    cache: VersionCache = current_app.extensions["assessment_versions"]
    try:
        # The answers carried forward are the person's record content: the same check as
        # the assessment's own review page (``assessments.review``).
        last = assessment_for(db.session, web_actor(), services.last_assessment(found.plan).id)
    except RecordNotFound:
        abort(404)

    def begin() -> object:
        made, _flagged = start_review(db.session, web_actor(), cache, last)
        services.start_review_assessment(db.session, web_actor(), found, made)
        return made

    started = attempt(begin, refuse=(ReviewError, services.SupportError))
    if started.result is None:
        flash(str(started.refusal), "error")
        return redirect(url_for("support.review", review_id=review_id))
    return redirect(url_for("assessments.task_list", assessment_id=found.assessment_id))


@bp.post("/reviews/<review_id>/outcome")
@roles_required(*_WORKERS)
@page
def outcome(review_id: str) -> ResponseReturnValue:
    found = _review(review_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _render_review(found, form, 422)
    try:
        expected = int(form.version.data or "")
    except ValueError:
        abort(400)
    saved = attempt(
        lambda: services.record_outcome(
            db.session,
            web_actor(),
            found,
            uk_today(),
            outcome=form.outcome.data,
            reason=form.reason.data,
            end_reason=form.end_reason.data or None,
            person_agreed=bool(form.person_agreed.data),
            agreed_by=form.agreed_by.data or None,
            carer_agreed=bool(form.carer_agreed.data),
            assessment_id=str(found.assessment_id) if found.assessment_id else None,
            terms={
                "hours_per_week": form.hours_per_week.data or None,
                "weekly_cost": form.weekly_cost.data or None,
            },
            expected_version=expected,
        ),
        form,
    )
    if saved.result is None:
        refusal = saved.refusal
        # A message about no field of the form (the review assessment) goes above it.
        for name, message in (refusal.errors if refusal is not None else {}).items():
            if not hasattr(form, name) and message not in form.form_errors:
                form.form_errors.append(message)
        stale = isinstance(refusal, services.StaleSupport)
        return _render_review(_review(review_id), form, 409 if stale else 422)
    flash("The review's outcome has been recorded.", "success")
    return redirect(url_for("support.plan", plan_id=found.plan_id))
