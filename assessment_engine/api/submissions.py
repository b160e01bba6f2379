"""The submission path shared by POST /assessments, amendments and FHIR imports: pin the
version, validate, decide, and store the assessment with its decision, referrals and audit
events in the caller's one transaction. All of it is ``assessments.services``; this module only
sequences it for the API and turns its errors into problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from flask import current_app

from ..assessments import lifecycle, totals
from ..assessments import services as assessments
from ..assessments.models import Assessment, AssessmentStatus, Referral
from ..db import DbSession
from ..kernel.actor import Actor
from ..questionnaires import services as questionnaire_services
from ..questionnaires.models import QuestionnaireVersion, VersionStatus
from ..questionnaires.runtime import PreparedVersion, VersionCache
from ..records.models import Client
from .problems import ApiError


def cache() -> VersionCache:
    found: VersionCache = current_app.extensions["assessment_versions"]
    return found


def pinned_version(
    session: DbSession, key: str, version: int | None, *, where: str = ""
) -> QuestionnaireVersion:
    """The published version to pin (latest when ``version`` is None); 422 otherwise."""
    found = (
        assessments.latest_published(session, key)
        if version is None
        else questionnaire_services.find_version(session, key, version, drafts=False)
    )
    if found is None or found.status is not VersionStatus.PUBLISHED:
        what = f"{key!r}" if version is None else f"{key!r} version {version}"
        raise ApiError(
            422,
            f"There is no published questionnaire {what} to assess with.",
            errors=[
                {
                    "pointer": where or ("/questionnaire" if version is None else "/version"),
                    "message": "Not a published questionnaire version",
                }
            ],
        )
    return found


def answers_problem(error: assessments.AnswersInvalid, prefix: str = "/answers") -> ApiError:
    """422 with one entry per message, each pointing into the answers."""
    return ApiError(
        422,
        str(error),
        errors=[
            {"pointer": prefix + where, "message": message}
            for where, messages in error.errors.items()
            for message in messages
        ],
    )


class Recorded(NamedTuple):
    """A new assessment and the referrals its submission made (none for a draft): all it has,
    as the response shows it, so the response reads nothing back."""

    assessment: Assessment
    referrals: list[Referral]


def record(
    session: DbSession,
    actor: Actor,
    client: Client,
    version: QuestionnaireVersion,
    answers: Mapping[str, Any],
    status: str,
    stated: Mapping[str, Any] | None = None,
) -> Recorded:
    """Start an assessment on ``version``, save ``answers`` and, if asked, submit it.
    ``stated``: values the sender states for the rules' scores (by score name), kept beside
    the computed ones (``assessments.totals``)."""
    prepared = assessments.prepare_version(session, cache(), version)
    try:
        assessment = assessments.start_assessment(session, actor, client, version)
    except assessments.AssessmentError as error:
        raise ApiError(422, str(error)) from None
    if stated:
        assessment.stated_totals = totals.from_scores(prepared, stated)
    return Recorded(
        assessment, _save_and_submit(session, actor, assessment, prepared, answers, status)
    )


def _save_and_submit(
    session: DbSession,
    actor: Actor,
    assessment: Assessment,
    prepared: PreparedVersion,
    answers: Mapping[str, Any] | None,
    status: str,
) -> list[Referral]:
    """A new assessment's answers saved, and submitted if asked (with the referrals that made:
    a new assessment has no others); problems as problem+json."""
    try:
        if answers is not None:
            assessments.save_answers(
                session, actor, assessment, prepared, answers, expected_version=None
            )
        if status == AssessmentStatus.SUBMITTED.value:
            return assessments.submitted(
                session, actor, assessment, prepared, expected_version=None
            ).referrals
    except assessments.AnswersInvalid as error:
        raise answers_problem(error) from None
    except assessments.AssessmentError as error:
        raise ApiError(422, str(error)) from None
    return []


def update(
    session: DbSession,
    actor: Actor,
    assessment: Assessment,
    answers: Mapping[str, Any] | None,
    status: str | None,
) -> Assessment:
    """PATCH: replace a draft's answers and/or submit it."""
    prepared: PreparedVersion = assessments.prepare_version(
        session, cache(), assessment.questionnaire_version
    )
    try:
        if answers is not None:
            assessments.save_answers(
                session,
                actor,
                assessment,
                prepared,
                answers,
                expected_version=assessment.version,
            )
        else:
            assessments.check_editable(assessment)
        if status == AssessmentStatus.SUBMITTED.value:
            assessments.submit(
                session, actor, assessment, prepared, expected_version=assessment.version
            )
    except assessments.AnswersInvalid as error:
        raise answers_problem(error) from None
    except assessments.NotEditable as error:
        raise ApiError(409, str(error)) from None
    except assessments.StaleEdit:
        raise ApiError(412, "This assessment has changed since you read it.") from None
    except assessments.AssessmentError as error:
        raise ApiError(422, str(error)) from None
    return assessment


def amend(
    session: DbSession,
    actor: Actor,
    original: Assessment,
    answers: Mapping[str, Any] | None,
    status: str,
) -> Recorded:
    """A new version of ``original`` under the same rules as the web pages (lifecycle.amend):
    the same questionnaire version, the original's answers unless new ones are given."""
    prepared = assessments.prepare_version(session, cache(), original.questionnaire_version)
    try:
        amendment = lifecycle.amend(session, actor, original, expected_version=None)
    except lifecycle.NotAllowed as error:
        already = lifecycle.amendment_of(session, original) is not None
        raise ApiError(409 if already else 403, str(error)) from None
    return Recorded(
        amendment, _save_and_submit(session, actor, amendment, prepared, answers, status)
    )
