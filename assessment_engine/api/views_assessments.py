"""Assessments: submit (the submission path), read, change a draft, amend, and FHIR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, url_for

from ..assessments import access as assessment_access
from ..assessments import services as assessments
from ..assessments import totals
from ..assessments.answer_sheet import answer_sheet
from ..assessments.models import Assessment, AssessmentStatus, Referral
from ..assessments.referrals import referrals_of_assessment
from ..kernel.new_rows import flush_new
from ..questionnaires import fhir
from ..questionnaires import services as questionnaire_services
from ..questionnaires.fhir.responses import read_header
from ..questionnaires.structure import Structure
from ..records import access
from ..records import services as records
from ..records.services import find_by_chi
from . import representations as show
from . import submissions
from .http import FHIR_JSON, JSON, Call, check_if_match, json_response
from .problems import ApiError
from .routes import Routes
from .schemas import (
    AmendmentCreateSchema,
    AnswerSheetSchema,
    AssessmentCreateSchema,
    AssessmentImportSchema,
    AssessmentPatchSchema,
    AssessmentSchema,
    FhirResourceSchema,
)

#: This module's operations, routed by ``api.init_app``.
route = Routes()

TAG = "Assessments"


def _client(call: Call, client_id: str, where: str = "/client_id") -> access.RecordAccess:
    """The record to assess and the policy's decision on it (which the response reuses): 422
    if there is none, 404 if the policy refuses the write."""
    try:
        return access.open_for_assessment(call.session, call.actor, client_id)
    except access.RecordNotFound:
        if records.exists(call.session, client_id):
            raise ApiError(
                404, "There is no client record with this id that your organisation may assess."
            ) from None
        raise ApiError(
            422,
            "There is no client record with this id that your organisation may see.",
            errors=[{"pointer": where, "message": "No such client"}],
        ) from None


def _opened(call: Call, assessment_id: str) -> assessment_access.AssessmentAccess:
    try:
        return assessment_access.open_assessment(call.session, call.actor, assessment_id)
    except access.RecordNotFound:
        raise ApiError(404, "There is no assessment with this id that you may see.") from None


def _response(
    call: Call,
    record: Assessment,
    decided: access.RecordAccess,
    status: int = 200,
    extra: dict[str, Any] | None = None,
    referrals: list[Referral] | None = None,
) -> Response:
    """The assessment as ``decided`` (the request's one access decision on its person's record,
    made by the handler in this transaction) lets the caller see it. ``referrals``: all the
    assessment's referrals, when the handler has them (it made them in this call), else read.
    """
    visible = decided.answers
    if referrals is None:
        referrals = referrals_of_assessment(call.session, record.id)
    else:
        # The stored values (times, version) the response shows; the new rows as Core inserts.
        flush_new(call.session)
        referrals = sorted(referrals, key=lambda made: made.id)  # as read: by id
    document = show.assessment(record, referrals, show_answers=visible)
    document.update(extra or {})
    headers = {"ETag": f'"{show.assessment_etag(record)}"'}
    if status == 201:
        headers["Location"] = url_for("api.get_assessment", assessment_id=str(record.id))
    return json_response(document, status=status, headers=headers)


@route(
    "/assessments",
    "POST",
    summary="Submit (or save as a draft) an assessment",
    tag=TAG,
    scope="assessments:write",
    body=AssessmentCreateSchema,
    responses={201: ("The assessment; when submitted, with its decision", AssessmentSchema)},
    problems=(409, 422),
    idempotent=True,
    location=True,
    etag=True,
)
def create_assessment(call: Call) -> Response:
    """Validate the answers against the pinned version (the latest published unless
    ``version``), decide, and store the assessment, decision, referrals and audit in one
    transaction. Send ``Idempotency-Key`` so that a retry cannot submit twice."""
    body = call.body
    decided = _client(call, body["client_id"])
    version = submissions.pinned_version(call.session, body["questionnaire"], body.get("version"))
    made = submissions.record(
        call.session, call.actor, decided.client, version, body["answers"], body["status"]
    )
    return _response(call, made.assessment, decided, status=201, referrals=made.referrals)


@route(
    "/assessments/<assessment_id>",
    "GET",
    summary="An assessment with its answers, decision and referrals",
    tag=TAG,
    scope="assessments:read",
    responses={200: ("The assessment", AssessmentSchema)},
    problems=(404,),
    etag=True,
)
def get_assessment(call: Call, assessment_id: str) -> Response:
    """The assessment (answers only where the person's sharing views allow)."""
    opened = _opened(call, assessment_id)
    return _response(call, opened.assessment, opened.record)


@route(
    "/assessments/<assessment_id>/answers",
    "GET",
    summary="An assessment's answers with each question's words",
    tag=TAG,
    scope="assessments:read",
    responses={200: ("Every section's questions and answers in words", AnswerSheetSchema)},
    problems=(404,),
)
def get_assessment_answers(call: Call, assessment_id: str) -> Response:
    """Every section's questions, in their own words, with the answers in words, as your
    organisation may see them (the same view partner staff get in the pages; audited)."""
    try:
        sheet = answer_sheet(
            call.session, call.actor, current_app.extensions["assessment_versions"], assessment_id
        )
    except access.RecordNotFound:
        raise ApiError(404, "There is no assessment with this id that you may see.") from None
    return json_response(show.answer_sheet(sheet))


@route(
    "/assessments/<assessment_id>",
    "PATCH",
    summary="Change a draft's answers or submit it",
    tag=TAG,
    scope="assessments:write",
    body=AssessmentPatchSchema,
    responses={200: ("The changed assessment", AssessmentSchema)},
    problems=(403, 404, 409, 412, 422, 428),
    if_match=True,
    etag=True,
)
def patch_assessment(call: Call, assessment_id: str) -> Response:
    """``answers`` replaces all of a draft's answers; ``status: submitted`` submits it.
    Needs ``If-Match`` with the ETag last read."""
    try:
        opened = assessment_access.draft_for_change(call.session, call.actor, assessment_id)
    except access.RecordNotFound:
        raise ApiError(404, "There is no assessment with this id that you may see.") from None
    except access.AccessDenied:
        raise ApiError(
            403, "This draft belongs to another organisation; only its assessors may change it."
        ) from None
    record = opened.assessment
    check_if_match(show.assessment_etag(record))
    submissions.update(
        call.session, call.actor, record, call.body.get("answers"), call.body.get("status")
    )
    return _response(call, record, opened.record)


@route(
    "/assessments/<assessment_id>/amendments",
    "POST",
    summary="Amend a submitted or signed-off assessment (a new linked version)",
    tag=TAG,
    scope="assessments:write",
    body=AmendmentCreateSchema,
    body_required=False,
    responses={201: ("The amendment: a new assessment linked to the original", AssessmentSchema)},
    problems=(403, 404, 409, 422),
    idempotent=True,
    location=True,
    etag=True,
)
def amend_assessment(call: Call, assessment_id: str) -> Response:
    """A new assessment on the same questionnaire version, linked by ``amends_id``; its
    answers are the original's unless given. The original is kept unchanged."""
    opened = _opened(call, assessment_id)
    original = opened.assessment
    if original.status is AssessmentStatus.DRAFT:
        raise ApiError(409, "A draft is changed with PATCH, not amended.")
    if not opened.record.may_start_assessment:
        raise ApiError(404, "There is no assessment with this id that you may amend.")
    made = submissions.amend(
        call.session, call.actor, original, call.body.get("answers"), call.body["status"]
    )
    return _response(call, made.assessment, opened.record, status=201, referrals=made.referrals)


@route(
    "/assessments/<assessment_id>/fhir",
    "GET",
    summary="An assessment as a FHIR R4 QuestionnaireResponse",
    tag="FHIR",
    scope="assessments:read",
    responses={200: ("A FHIR R4 QuestionnaireResponse", FhirResourceSchema)},
    response_types=(FHIR_JSON,),
    problems=(404,),
    etag=True,
)
def get_assessment_fhir(call: Call, assessment_id: str) -> Response:
    """``questionnaire`` is ``url|version``; the subject carries the CHI number."""
    opened = _opened(call, assessment_id)
    record = opened.assessment
    if not opened.record.answers:
        raise ApiError(404, "The person's sharing views keep these answers from you.")
    version = record.questionnaire_version
    prepared = assessments.prepare_version(call.session, submissions.cache(), version)
    resource = fhir.response_resource(
        assessment_id=str(record.id),
        key=version.questionnaire.key,
        version=version.version,
        structure=prepared.questionnaire.structure,
        answers=record.answers or {},
        status=record.status.value,
        chi=record.client.chi,
        subject_name=record.client.display_name,
        authored=record.submitted_at or record.updated_at,
    )
    return json_response(
        resource, mimetype=FHIR_JSON, headers={"ETag": f'"{show.assessment_etag(record)}"'}
    )


@route(
    "/fhir/QuestionnaireResponse",
    "POST",
    summary="Import a FHIR QuestionnaireResponse as an assessment",
    tag="FHIR",
    scope="assessments:write",
    body=FhirResourceSchema,
    body_types=(JSON, FHIR_JSON),
    responses={201: ("The assessment made from it, and what was mapped", AssessmentImportSchema)},
    problems=(409, 422),
    idempotent=True,
    location=True,
    etag=True,
)
def import_fhir_response(call: Call) -> Response:
    """The person is found by the CHI identifier on ``subject``; ``questionnaire`` must be a
    version's ``url|version``; ``completed`` submits (and decides), ``in-progress`` saves a
    draft. A questionnaire imported from FHIR may be named by its source's ``url|version``
    (its linkIds are the source's). Everything that does not fit is refused with its linkId;
    a coding matched by display or spelling is taken and reported, and a total the response
    states is stored beside the one the rules compute (``stated_totals``), reported if they
    differ (in ``report`` and ``warnings``); the computed one decides."""
    resource = call.body
    header = read_header(resource)
    if header.notes:
        raise _refused(header.notes)
    assert header.chi is not None and header.status is not None
    key, number = header.key, header.version
    if header.source_url is not None:
        key = fhir.source_key(header.source_url)
        number = (
            questionnaire_services.published_from_source(
                call.session, key, header.source_url, header.source_version
            )
            if key
            else None
        )
        if key is None or number is None:
            version_part = f"|{header.source_version}" if header.source_version else ""
            reference = header.source_url + version_part
            raise ApiError(
                422,
                f"No published questionnaire was imported from {reference}.",
                errors=[{"pointer": "/questionnaire", "message": "Not an imported questionnaire"}],
            )
    assert key is not None
    version = submissions.pinned_version(call.session, key, number, where="/questionnaire")
    found = find_by_chi(call.session, header.chi)
    if found is None:
        raise ApiError(
            422,
            "There is no record with the subject's CHI number; create it first (POST /clients).",
            errors=[{"pointer": "/subject/identifier/value", "message": "No such person"}],
        )
    decided = _client(call, str(found.id), where="/subject/identifier/value")
    prepared = assessments.prepare_version(call.session, submissions.cache(), version)
    structure = prepared.questionnaire.structure
    imported = fhir.answers_from_response(structure, resource)
    if imported.notes:
        raise _refused(imported.notes)
    score_of = fhir.totals_of(structure)
    stated = {score_of.get(link_id, link_id): value for link_id, value in imported.stated.items()}
    try:
        made = submissions.record(
            call.session,
            call.actor,
            decided.client,
            version,
            imported.answers,
            header.status,
            stated,
        )
    except ApiError as error:
        for entry in error.errors:  # answer pointers to the linkIds they came from
            where = entry.get("pointer", "").removeprefix("/answers")
            linked = structure.template_pointer(where)
            entry["pointer"] = "/item"
            entry["message"] = f"{linked or where}: {entry['message']}"
        raise
    record = made.assessment
    link_of = {score: link_id for link_id, score in score_of.items()}
    report = [note.to_dict() for note in imported.mapped] + [
        {"linkId": _link_id(structure, link_of, key), "message": totals.message(entry)}
        for key, entry in (record.stated_totals or {}).items()
        if not entry["agrees"]
    ]
    return _response(call, record, decided, 201, {"report": report}, made.referrals)


def _link_id(structure: Structure, link_of: Mapping[str, str], key: str) -> str:
    """The linkId a stated total came from (a score's source item, or a calculated question)."""
    if key in link_of:
        return link_of[key]
    question = structure.question(key)
    return question.link_id if question is not None else key


def _refused(notes: list[fhir.ImportNote]) -> ApiError:
    return ApiError(
        422,
        "This QuestionnaireResponse cannot be imported; see errors and report.",
        errors=[
            {"pointer": "" if note.link_id is None else "/item", "message": _message(note)}
            for note in notes
        ],
        report=[note.to_dict() for note in notes],
    )


def _message(note: fhir.ImportNote) -> str:
    return f"{note.link_id}: {note.message}" if note.link_id else note.message
