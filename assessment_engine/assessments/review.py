"""Reviews: redoing a submitted assessment on the latest questionnaire version.

Answers carry forward by question id (JSON Pointer) where the new version still asks the question
and still accepts the answer; everything else is flagged for the assessor with the reason. The
new assessment is an ordinary draft pinned to the latest version; the old one is unchanged.

Routes (registered by ``admin.init_app`` beside the admin pages, though assessors use them):

* ``GET  /assessments/<id>/review``: what a review would do (what changed, what carries forward)
  with the button to start it; link here from a submitted assessment's outcome page;
* ``POST /assessments/<id>/review``: start it;
* ``GET  /assessments/<new id>/review-notes?from=<old id>``: the answers flagged for attention.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from ..auth.actor import Actor
from ..auth.models import Role
from ..extensions import db
from ..questionnaires.runtime import PreparedVersion, VersionCache
from ..questionnaires.services import prepared
from ..questionnaires.structure import Question, QuestionType, Structure
from ..records.audit import record_event
from ..records.services import RecordNotFound
from . import access
from .models import Assessment, AssessmentStatus
from .services import AssessmentError, latest_published, start_assessment

Flag = tuple[str, str]

bp = Blueprint("reviews", __name__)


# ---------------------------------------------------------------------------------- services


def _token(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _untoken(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _leaves(structure: Structure, value: Any, pointer: str) -> Iterator[str]:
    """Pointers of every answered question (not section or group) in ``value``."""
    question = structure.question(pointer) if pointer else None
    if isinstance(value, Mapping) and (question is None or question.type.is_container):
        for name, inner in value.items():
            yield from _leaves(structure, inner, f"{pointer}/{_token(name)}")
    elif (
        isinstance(value, list)
        and question is not None
        and question.type is QuestionType.REPEATING_GROUP
    ):
        for index, item in enumerate(value):
            yield from _leaves(structure, item, f"{pointer}/{index}")
    else:
        yield pointer


def _delete(document: Any, pointer: str) -> bool:
    """Remove the value at ``pointer``; False when there is nothing there."""
    tokens = [_untoken(t) for t in pointer[1:].split("/")] if pointer else []
    if not tokens:
        return False
    node = document
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    last = tokens[-1]
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        del node[int(last)]
        return True
    return False


def _drop_unknown(
    old: Structure, new: Structure, value: Any, pointer: str, flagged: list[Flag]
) -> None:
    """Remove (and flag) answers to questions the new version no longer asks."""
    if not isinstance(value, dict):
        return
    for name in list(value):
        child = f"{pointer}/{_token(name)}"
        question = new.question(child)
        if question is None:
            before = old.question(child)
            title = f"“{before.title}”: " if before is not None else ""
            flagged.append((child, f"{title}no longer asked in the new version"))
            del value[name]
        elif question.type.is_container and question.type is not QuestionType.REPEATING_GROUP:
            _drop_unknown(old, new, value[name], child, flagged)
        elif question.type is QuestionType.REPEATING_GROUP and isinstance(value[name], list):
            for index, item in enumerate(value[name]):
                _drop_unknown(old, new, item, f"{child}/{index}", flagged)


def _title(structure: Structure, pointer: str) -> str:
    question: Question | None = structure.question(pointer)
    return f"“{question.title}”: " if question is not None else ""


def carry_forward(
    prepared_old: PreparedVersion, prepared_new: PreparedVersion, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Flag]]:
    """The answers the new version still accepts, and (pointer, reason) for everything else.

    Each carried answer is validated against the new version: an answer it refuses (an option
    that no longer exists, a value now out of range) is dropped and flagged with the message;
    answers to questions the new version hides for these answers are dropped and flagged; new
    questions now shown are flagged as not yet answered.
    """
    old = prepared_old.questionnaire
    new = prepared_new.questionnaire
    flagged: list[Flag] = []
    result: dict[str, Any] = copy.deepcopy(old.prune(dict(answers)))
    _drop_unknown(old.structure, new.structure, result, "", flagged)
    for _round in range(50):
        errors = new.validate(result, complete=False)
        if not errors:
            break
        removed = False
        for pointer in sorted(errors, key=lambda p: (p.count("/"), p), reverse=True):
            if _delete(result, pointer):
                removed = True
                flagged.append((pointer, f"{_title(new.structure, pointer)}{errors[pointer][0]}"))
        if not removed:  # nothing left that can be removed: keep none of it
            flagged += [(p, "the answers could not be carried forward") for p in errors]
            result = {}
            break
    before = set(_leaves(new.structure, result, ""))
    result = new.prune(result)
    after = set(_leaves(new.structure, result, ""))
    flagged += [
        (p, f"{_title(new.structure, p)}not asked for these answers in the new version")
        for p in sorted(before - after)
    ]
    visible = new.visible_pointers(result)
    for pointer, question in new.structure.questions.items():
        if (
            question.type.takes_answer
            and not question.type.is_container
            and "*" not in pointer
            and old.structure.question(pointer) is None
            and pointer in visible
        ):
            flagged.append((pointer, f"“{question.title}”: a new question, not yet answered"))
    return result, flagged


class ReviewError(AssessmentError):
    """A review cannot be started; the message says why."""


def start_review(
    session: Session, actor: Actor, cache: VersionCache, assessment: Assessment
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


def _actor() -> Actor:
    return Actor.for_user(current_user, request.remote_addr or "")


def _assessment(assessment_id: str) -> Assessment:
    """The assessment, if the signed-in assessor's organisation may see its answers."""
    if not current_user.has_role(Role.ASSESSOR):
        abort(403)
    try:
        return access.assessment_for(db.session, _actor(), assessment_id)
    except RecordNotFound:
        abort(404)


def _cache() -> VersionCache:
    cache: VersionCache = current_app.extensions["assessment_versions"]
    return cache


@bp.get("/assessments/<assessment_id>/review")
def confirm(assessment_id: str) -> ResponseReturnValue:
    """What a review on the latest version would change, and the button that starts it."""
    from ..admin.preview import VersionRuntime, comparison

    assessment = _assessment(assessment_id)
    pinned = assessment.questionnaire_version
    latest = latest_published(db.session, pinned.questionnaire.key)
    db.session.commit()
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
def start(assessment_id: str) -> ResponseReturnValue:
    assessment = _assessment(assessment_id)
    try:
        review, _flagged = start_review(db.session, _actor(), _cache(), assessment)
    except ReviewError:
        db.session.rollback()
        abort(409)
    db.session.commit()
    return redirect(f"{url_for('reviews.notes', assessment_id=review.id)}?from={assessment.id}")


@bp.get("/assessments/<assessment_id>/review-notes")
def notes(assessment_id: str) -> ResponseReturnValue:
    """The answers of the earlier assessment that did not carry forward, and why."""
    review = _assessment(assessment_id)
    earlier = _assessment(request.args.get("from", ""))
    db.session.commit()
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
