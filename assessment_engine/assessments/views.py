"""Assessment pages: start, the task list, one page per section, check answers, submit, outcome."""

from __future__ import annotations

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
from flask_login import current_user

from ..auth.actor import Actor
from ..extensions import db
from ..records import access
from ..records.services import RecordNotFound
from . import services
from .models import Assessment, AssessmentStatus

bp = Blueprint("assessments", __name__)

DEFAULT_QUESTIONNAIRE = "joint-assessment"


def _actor() -> Actor:
    return Actor.for_user(current_user, request.remote_addr or "")


def _open(assessment_id: str) -> Assessment:
    """The assessment if the signed-in user's organisation may see it; 404 otherwise."""
    actor = _actor()
    try:
        assessment = services.open_assessment(db.session, actor, assessment_id)
    except RecordNotFound:
        abort(404)
    if not access.may_see_answers(db.session, actor, assessment.client):
        abort(404)
    return assessment


def _prepared(assessment: Assessment) -> Any:
    return services.prepare_version(
        db.session, current_app.extensions["assessment_versions"], assessment.questionnaire_version
    )


@bp.post("/people/<client_id>/assessments")
def start(client_id: str) -> ResponseReturnValue:
    actor = _actor()
    try:
        client = access.client_for(db.session, actor, client_id)
    except RecordNotFound:
        abort(404)
    key = request.form.get("questionnaire") or DEFAULT_QUESTIONNAIRE
    version = services.latest_published(db.session, key)
    if version is None:
        abort(404)
    assessment = services.start_assessment(db.session, actor, client, version)
    db.session.commit()
    return redirect(url_for("assessments.task_list", assessment_id=assessment.id))


@bp.get("/assessments/<assessment_id>")
def task_list(assessment_id: str) -> ResponseReturnValue:
    assessment = _open(assessment_id)
    db.session.commit()
    if assessment.status != AssessmentStatus.DRAFT:
        return redirect(url_for("assessments.outcome", assessment_id=assessment.id))
    prepared = _prepared(assessment)
    sections = services.section_states(prepared, assessment.answers or {})
    return render_template(
        "assessments/task_list.html",
        assessment=assessment,
        sections=sections,
        completed=sum(1 for s in sections if s.status == "completed"),
    )


@bp.get("/assessments/<assessment_id>/check")
def check(assessment_id: str) -> ResponseReturnValue:
    assessment = _open(assessment_id)
    db.session.commit()
    if assessment.status != AssessmentStatus.DRAFT:
        return redirect(url_for("assessments.outcome", assessment_id=assessment.id))
    return _render_check(assessment, errors={})


def _render_check(assessment: Assessment, errors: dict[str, list[str]]) -> ResponseReturnValue:
    from ..forms.summary import summary_rows

    prepared = _prepared(assessment)
    answers = assessment.answers or {}
    sections = [
        (section, summary_rows(prepared, answers, section.name))
        for section in prepared.questionnaire.structure.sections
    ]
    states = {s.name: s for s in services.section_states(prepared, answers)}
    error_list = [
        {
            "text": f"{_section_title(prepared, pointer)}: {messages[0]}",
            "href": url_for(
                "assessments.section",
                assessment_id=assessment.id,
                section=pointer.split("/")[1],
            ),
        }
        for pointer, messages in errors.items()
        if pointer.count("/") >= 1 and pointer.split("/")[1]
    ]
    return render_template(
        "assessments/check.html",
        assessment=assessment,
        sections=sections,
        states=states,
        error_list=error_list,
    ), (422 if errors else 200)


def _section_title(prepared: Any, pointer: str) -> str:
    name = pointer.split("/")[1]
    for section in prepared.questionnaire.structure.sections:
        if section.name == name:
            return str(section.title)
    return name


@bp.post("/assessments/<assessment_id>/submit")
def submit(assessment_id: str) -> ResponseReturnValue:
    assessment = _open(assessment_id)
    prepared = _prepared(assessment)
    try:
        expected = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    try:
        services.submit(db.session, _actor(), assessment, prepared, expected_version=expected)
    except services.StaleEdit:
        db.session.rollback()
        flash(
            "Someone else changed this assessment while you were checking it. "
            "Check the answers again before you submit.",
            "info",
        )
        return redirect(url_for("assessments.check", assessment_id=assessment_id))
    except services.AnswersInvalid as exc:
        db.session.rollback()
        return _render_check(_open(assessment_id), exc.errors)
    except services.NotEditable:
        db.session.rollback()
        return redirect(url_for("assessments.outcome", assessment_id=assessment_id))
    except services.AssessmentError as exc:
        db.session.rollback()
        flash(str(exc), "info")
        return redirect(url_for("assessments.check", assessment_id=assessment_id))
    db.session.commit()
    return redirect(url_for("assessments.outcome", assessment_id=assessment_id))


@bp.get("/assessments/<assessment_id>/outcome")
def outcome(assessment_id: str) -> ResponseReturnValue:
    assessment = _open(assessment_id)
    decision = services.current_decision(assessment)
    if decision is None:
        db.session.commit()
        return redirect(url_for("assessments.task_list", assessment_id=assessment.id))
    view = services.outcome_view(db.session, decision)
    db.session.commit()
    return render_template("assessments/outcome.html", assessment=assessment, outcome=view)
