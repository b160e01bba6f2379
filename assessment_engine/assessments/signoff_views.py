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
from ..records.services import RecordNotFound
from ..records.views import web_actor
from . import access, lifecycle, services
from .models import Assessment

bp = Blueprint("signoff", __name__)

_WORKERS = (Role.ASSESSOR, Role.TEAM_MANAGER)


def _open(assessment_id: str, action: str = "assessment.view") -> Assessment:
    try:
        return access.assessment_for(db.session, web_actor(), assessment_id, action=action)
    except RecordNotFound:
        abort(404)


def _expected() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400)


@bp.get("/assessments/<assessment_id>/sign-off")
@roles_required(*_WORKERS)
def overview(assessment_id: str) -> ResponseReturnValue:
    """Where the assessment stands: submitted, signed off, co-signed, amended; and what to do."""
    actor = web_actor()
    assessment = _open(assessment_id)
    amendment = lifecycle.amendment_of(db.session, assessment)
    context = {
        "assessment": assessment,
        "amendment": amendment,
        "may_sign_off": lifecycle.may_sign_off(actor, assessment),
        "may_co_sign": lifecycle.may_co_sign(actor, assessment),
        "may_amend": lifecycle.may_amend(db.session, actor, assessment),
    }
    db.session.commit()
    return render_template("assessments/signoff/overview.html", **context)


def _change(assessment_id: str, action: str) -> ResponseReturnValue:
    actor = web_actor()
    assessment = _open(assessment_id)
    change = {
        "sign_off": lifecycle.sign_off,
        "co_sign": lifecycle.co_sign,
        "amend": lifecycle.amend,
    }[action]
    try:
        result = change(db.session, actor, assessment, expected_version=_expected())
    except lifecycle.NotAllowed:
        db.session.rollback()
        abort(403)
    except services.StaleEdit:
        db.session.rollback()
        flash(
            "Someone else changed this assessment since you opened it, so nothing was saved. "
            "Check it as it is now and try again.",
            "info",
        )
        return redirect(url_for("signoff.overview", assessment_id=assessment_id))
    db.session.commit()
    if action == "amend":
        flash("Amendment started from the previous answers. Change what needs changing.", "success")
        return redirect(url_for("assessments.task_list", assessment_id=result.id))
    flash("Signed off." if action == "sign_off" else "Co-signed.", "success")
    return redirect(url_for("signoff.overview", assessment_id=assessment_id))


@bp.post("/assessments/<assessment_id>/sign-off")
@roles_required(Role.ASSESSOR)
def sign_off(assessment_id: str) -> ResponseReturnValue:
    return _change(assessment_id, "sign_off")


@bp.post("/assessments/<assessment_id>/co-sign")
@roles_required(Role.ASSESSOR)
def co_sign(assessment_id: str) -> ResponseReturnValue:
    return _change(assessment_id, "co_sign")


@bp.post("/assessments/<assessment_id>/amend")
@roles_required(Role.ASSESSOR)
def amend(assessment_id: str) -> ResponseReturnValue:
    return _change(assessment_id, "amend")


@bp.get("/assessments/<assessment_id>/changes")
@roles_required(*_WORKERS)
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
    db.session.commit()
    return render_template(
        "assessments/signoff/changes.html",
        amendment=amendment,
        previous=previous,
        changes=found,
    )
