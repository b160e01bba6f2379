"""Sign-off, co-signature and amendment pages of a submitted assessment, and "what changed".

Thin: ``assessments.access.assessment_for`` finds the assessment (404 where the person's record is
not shared with the user's organisation; audited), ``assessments.lifecycle`` does the work.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..auth import roles_required
from ..auth.models import Role
from ..extensions import db
from ..pages import actor as web_actor
from ..pages import attempt, page
from ..records.services import RecordNotFound
from . import access as assessment_access
from . import lifecycle, services
from .forms import SignOffForm
from .models import Assessment

bp = Blueprint("signoff", __name__)

_WORKERS = (Role.ASSESSOR, Role.TEAM_MANAGER)


def _open(assessment_id: str, action: str = "assessment.view") -> Assessment:
    try:
        return assessment_access.assessment_for(
            db.session, web_actor(), assessment_id, action=action
        )
    except RecordNotFound:
        abort(404)


def _expected() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400)


@bp.get("/assessments/<assessment_id>/sign-off")
@roles_required(*_WORKERS)
@page
def overview(assessment_id: str) -> ResponseReturnValue:
    """Where the assessment stands: submitted, signed off, co-signed, amended; and what to do."""
    return _render_overview(_open(assessment_id), SignOffForm(formdata=None))


def _render_overview(
    assessment: Assessment, form: SignOffForm, status: int = 200
) -> ResponseReturnValue:
    actor = web_actor()
    may_sign_off = lifecycle.may_sign_off(actor, assessment)
    decision = services.current_decision(assessment) if may_sign_off else None
    context = {
        "assessment": assessment,
        "amendment": lifecycle.amendment_of(db.session, assessment),
        "may_sign_off": may_sign_off,
        "may_co_sign": lifecycle.may_co_sign(actor, assessment),
        "may_amend": lifecycle.may_amend(db.session, actor, assessment),
        # What is being signed: the decision and its referrals, summarised above the button.
        "signing": services.outcome_view(db.session, decision) if decision else None,
        "form": form,
    }
    return render_template("assessments/signoff/overview.html", **context), status


def _change(assessment_id: str, action: str) -> ResponseReturnValue:
    actor = web_actor()
    assessment = _open(assessment_id)
    change = {
        "sign_off": lifecycle.sign_off,
        "co_sign": lifecycle.co_sign,
        "amend": lifecycle.amend,
    }[action]
    changed = attempt(
        lambda: change(db.session, actor, assessment, expected_version=_expected()),
        refuse=(lifecycle.NotAllowed, services.StaleEdit),
    )
    if isinstance(changed.refusal, lifecycle.NotAllowed):
        abort(403)
    if changed.refusal is not None:
        flash(
            "Someone else changed this assessment since you opened it, so nothing was saved. "
            "Check it as it is now and try again.",
            "info",
        )
        return redirect(url_for("signoff.overview", assessment_id=assessment_id))
    if action == "amend":
        flash("Amendment started from the previous answers. Change what needs changing.", "success")
        assert changed.result is not None
        return redirect(url_for("assessments.task_list", assessment_id=changed.result.id))
    flash("Signed off." if action == "sign_off" else "Co-signed.", "success")
    return redirect(url_for("signoff.overview", assessment_id=assessment_id))


@bp.post("/assessments/<assessment_id>/sign-off")
@roles_required(Role.ASSESSOR)
@page
def sign_off(assessment_id: str) -> ResponseReturnValue:
    form = SignOffForm()
    if not form.validate():
        assessment = _open(assessment_id)
        if not lifecycle.may_sign_off(web_actor(), assessment):
            abort(403)
        return _render_overview(assessment, form, 422)
    return _change(assessment_id, "sign_off")


@bp.post("/assessments/<assessment_id>/co-sign")
@roles_required(Role.ASSESSOR)
@page
def co_sign(assessment_id: str) -> ResponseReturnValue:
    return _change(assessment_id, "co_sign")


@bp.post("/assessments/<assessment_id>/amend")
@roles_required(Role.ASSESSOR)
@page
def amend(assessment_id: str) -> ResponseReturnValue:
    return _change(assessment_id, "amend")


@bp.get("/assessments/<assessment_id>/changes")
@roles_required(*_WORKERS)
@page
def changes(assessment_id: str) -> ResponseReturnValue:
    """What an amendment changed from the assessment it amends, question by question."""
    amendment = _open(assessment_id, action="assessment.changes")
    if amendment.amends_id is None:
        abort(404)
    previous = _open(str(amendment.amends_id), action="assessment.changes")
    prepared = services.prepare_version(
        db.session,
        current_app.extensions["assessment_versions"],
        amendment.questionnaire_version,
    )
    found = lifecycle.what_changed(
        prepared.questionnaire.structure, previous.answers or {}, amendment.answers or {}
    )
    return render_template(
        "assessments/signoff/changes.html",
        amendment=amendment,
        previous=previous,
        changes=found,
    )
