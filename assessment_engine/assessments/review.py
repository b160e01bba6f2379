"""Reviews: redoing a submitted assessment on the latest questionnaire version.

Answers carry forward by question id (JSON Pointer) where the new version still asks the question
and still accepts the answer; everything else is flagged for the assessor with the reason. The
new assessment is an ordinary draft pinned to the latest version; the old one is unchanged.

Routes (registered by ``assessments.init_app``; carrying answers forward is
``questionnaires.carry_forward``):

* ``GET  /assessments/<id>/review``: what a review would do (what changed, what carries forward)
  with the button to start it; link here from a submitted assessment's outcome page;
* ``POST /assessments/<id>/review``: start it;
* ``GET  /assessments/<new id>/review-notes?from=<old id>``: the answers flagged for attention.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..auth.models import Role
from ..db import DbSession
from ..extensions import db
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..pages import actor, attempt, page
from ..questionnaires.carry_forward import Flag as Flag
from ..questionnaires.carry_forward import carry_forward as carry_forward
from ..questionnaires.runtime import VersionCache
from ..questionnaires.services import prepared
from ..records import access
from . import access as assessment_access
from .models import Assessment, AssessmentStatus
from .services import AssessmentError, latest_published, start_assessment

bp = Blueprint("reviews", __name__)


# ---------------------------------------------------------------------------------- services


class ReviewError(AssessmentError):
    """A review cannot be started; the message says why."""


def start_review(
    session: DbSession, actor: Actor, cache: VersionCache, assessment: Assessment
) -> tuple[Assessment, list[Flag]]:
    """A new draft on the latest published version with the carried answers, audited."""
    if assessment.status == AssessmentStatus.DRAFT:
        raise ReviewError("Only a submitted assessment can be reviewed; this one is a draft")
    pinned = assessment.questionnaire_version
    latest = latest_published(session, pinned.questionnaire.key)
    if latest is None:
        raise ReviewError(f"{pinned.title} has no published version to review on")
    answers, flagged = carry_forward(
        prepared(session, cache, pinned), prepared(session, cache, latest), assessment.answers
    )
    review = start_assessment(session, actor, assessment.client, latest, answers)
    record_event(
        session,
        actor,
        "assessment.review",
        record_type="assessment",
        record_id=review.id,
        client_id=assessment.client_id,
        detail={
            "from": str(assessment.id),
            "from_version": pinned.ruleset_name,
            "to_version": latest.ruleset_name,
            "flagged": len(flagged),
        },
    )
    return review, flagged


# ------------------------------------------------------------------------------------ views


_actor = actor


def _assessment(assessment_id: str) -> Assessment:
    """The assessment, if the signed-in assessor's organisation may see its answers."""
    if not current_user.has_role(Role.ASSESSOR):
        abort(403)
    try:
        return assessment_access.assessment_for(db.session, _actor(), assessment_id)
    except access.RecordNotFound:
        abort(404)


def _cache() -> VersionCache:
    cache: VersionCache = current_app.extensions["assessment_versions"]
    return cache


@bp.get("/assessments/<assessment_id>/review")
@page
def confirm(assessment_id: str) -> ResponseReturnValue:
    """What a review on the latest version would change, and the button that starts it."""
    from ..questionnaires.preview import VersionRuntime, comparison

    assessment = _assessment(assessment_id)
    pinned = assessment.questionnaire_version
    latest = latest_published(db.session, pinned.questionnaire.key)
    if latest is None or assessment.status == AssessmentStatus.DRAFT:
        abort(404)
    old, new = prepared(db.session, _cache(), pinned), prepared(db.session, _cache(), latest)
    _answers, flagged = carry_forward(old, new, assessment.answers)
    changes = comparison(
        VersionRuntime(
            old.key, old.version, old.questionnaire, old.ruleset, (), old.questionnaire.structure
        ),
        VersionRuntime(
            new.key, new.version, new.questionnaire, new.ruleset, (), new.questionnaire.structure
        ),
        pinned,
        latest,
    )
    return render_template(
        "admin/review_confirm.html",
        assessment=assessment,
        pinned=pinned,
        latest=latest,
        flagged=flagged,
        changes=changes,
    )


@bp.post("/assessments/<assessment_id>/review")
@page
def start(assessment_id: str) -> ResponseReturnValue:
    assessment = _assessment(assessment_id)
    started = attempt(
        lambda: start_review(db.session, _actor(), _cache(), assessment), refuse=(ReviewError,)
    )
    if started.result is None:
        abort(409)
    review, _flagged = started.result
    return redirect(f"{url_for('reviews.notes', assessment_id=review.id)}?from={assessment.id}")


@bp.get("/assessments/<assessment_id>/review-notes")
@page
def notes(assessment_id: str) -> ResponseReturnValue:
    """The answers of the earlier assessment that did not carry forward, and why."""
    review = _assessment(assessment_id)
    earlier = _assessment(request.args.get("from", ""))
    if earlier.client_id != review.client_id or earlier.status == AssessmentStatus.DRAFT:
        abort(404)
    _answers, flagged = carry_forward(
        prepared(db.session, _cache(), earlier.questionnaire_version),
        prepared(db.session, _cache(), review.questionnaire_version),
        earlier.answers,
    )
    return render_template(
        "admin/review_notes.html", review=review, earlier=earlier, flagged=flagged
    )
