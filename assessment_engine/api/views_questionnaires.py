"""Questionnaires: list, documents, FHIR export and import, publishing, scoring."""

from __future__ import annotations

import json

from flask import Response, current_app, url_for

from ..assessments import totals
from ..assessments.services import AnswersInvalid, latest_published, prepare_version
from ..questionnaires import drafts as admin_drafts
from ..questionnaires import fhir
from ..questionnaires import services as questionnaire_services
from ..questionnaires.checks import DraftTexts
from ..questionnaires.models import QuestionnaireVersion
from ..questionnaires.problems import QuestionnaireError
from ..questionnaires.runtime import VersionCache
from ..scoring.errors import RuleEvaluationError
from . import lookups
from . import representations as show
from .http import FHIR_JSON, JSON, Call, decode_cursor, etag, json_response, page
from .problems import ApiError
from .routes import Routes
from .schemas import (
    EmptySchema,
    FhirResourceSchema,
    PageQuerySchema,
    QuestionnaireImportSchema,
    QuestionnaireListSchema,
    QuestionnaireVersionSchema,
    ScoreRequestSchema,
    ScoreResponseSchema,
)
from .submissions import answers_problem

#: This module's operations, routed by ``api.init_app``.
route = Routes()

TAG = "Questionnaires"


def _cache() -> VersionCache:
    cache: VersionCache = current_app.extensions["assessment_versions"]
    return cache


def _version(call: Call, key: str, version: int) -> QuestionnaireVersion:
    found = questionnaire_services.find_version(
        call.session, key, version, drafts="questionnaires:write" in call.client.scopes
    )
    if found is None:
        raise ApiError(404, f"There is no questionnaire {key!r} version {version}.")
    return found


def _version_response(version: QuestionnaireVersion) -> Response:
    return json_response(
        show.questionnaire_version(version),
        headers={"ETag": f'"{etag("questionnaire", version.id, version.checksum)}"'},
    )


@route(
    "/questionnaires",
    "GET",
    summary="Published questionnaires",
    tag=TAG,
    scope="questionnaires:read",
    query=PageQuerySchema,
    responses={200: ("The latest published version of each", QuestionnaireListSchema)},
)
def list_questionnaires(call: Call) -> Response:
    """The latest published version of each questionnaire: key, version and title."""
    after = decode_cursor(call.query["cursor"])
    limit = call.query["limit"]
    found = lookups.published_page(call.session, after, limit + 1)
    items, cursor = page(found, limit, lambda v: v.questionnaire.key)
    return json_response(
        {"items": [show.questionnaire_summary(v) for v in items], "next_cursor": cursor}
    )


@route(
    "/questionnaires/<key>",
    "GET",
    summary="The latest published version's document",
    tag=TAG,
    scope="questionnaires:read",
    responses={200: ("The version and its JSON Schema document", QuestionnaireVersionSchema)},
    problems=(404,),
    etag=True,
)
def get_questionnaire(call: Call, key: str) -> Response:
    """The latest published version of the questionnaire ``key``."""
    found = latest_published(call.session, key)
    if found is None:
        raise ApiError(404, f"There is no published questionnaire {key!r}.")
    return _version_response(found)


@route(
    "/questionnaires/<key>/versions/<int:version>",
    "GET",
    summary="One version's document",
    tag=TAG,
    scope="questionnaires:read",
    responses={200: ("The version and its JSON Schema document", QuestionnaireVersionSchema)},
    problems=(404,),
    etag=True,
)
def get_questionnaire_version(call: Call, key: str, version: int) -> Response:
    """One version (drafts only for clients with questionnaires:write)."""
    return _version_response(_version(call, key, version))


@route(
    "/questionnaires/<key>/versions/<int:version>/fhir",
    "GET",
    summary="One version as a FHIR R4 Questionnaire",
    tag=TAG,
    scope="questionnaires:read",
    responses={200: ("A FHIR R4 Questionnaire", FhirResourceSchema)},
    response_types=(FHIR_JSON,),
    problems=(404,),
    etag=True,
)
def get_questionnaire_fhir(call: Call, key: str, version: int) -> Response:
    """The version as a Questionnaire: linkId is each question's pointer, scores travel as
    ordinalValue, conditions as enableWhen where FHIR can express them."""
    found = _version(call, key, version)
    try:
        prepared = prepare_version(call.session, _cache(), found)
    except QuestionnaireError as error:  # a draft saved with problems, still being edited
        raise _checks_problem(
            "This draft does not pass its checks yet, so it has no FHIR form; see errors.", error
        ) from None
    resource = fhir.questionnaire_resource(
        key=key,
        version=version,
        status=found.status.value,
        structure=prepared.questionnaire.structure,
        published_at=found.published_at,
        rules=found.rules,
    )
    return json_response(
        resource,
        mimetype=FHIR_JSON,
        headers={"ETag": f'"{etag("questionnaire", found.id, found.checksum)}"'},
    )


@route(
    "/fhir/Questionnaire",
    "POST",
    summary="Import a FHIR R4 Questionnaire as a new draft",
    tag="FHIR",
    scope="questionnaires:write",
    body=FhirResourceSchema,
    body_types=(JSON, FHIR_JSON),
    responses={201: ("The new draft and what could not be represented", QuestionnaireImportSchema)},
    problems=(422,),
    idempotent=True,
    location=True,
)
def import_fhir_questionnaire(call: Call) -> Response:
    """A new draft version of the questionnaire (its key from the resource); anything that
    could not be represented is listed, by linkId, in ``report``. 422 if nothing could be."""
    resource = call.body
    key = fhir.key_for(resource)
    version = admin_drafts.next_version(call.session, key)
    result = fhir.import_questionnaire(resource, key=key, version=version)
    if result.document is None:
        raise ApiError(
            422,
            "This resource cannot be imported as a questionnaire; see errors.",
            errors=[{"pointer": "", "message": _note(note)} for note in result.notes],
            report=[note.to_dict() for note in result.notes],
        )
    texts = DraftTexts(
        json.dumps(result.document, indent=2, ensure_ascii=False),
        json.dumps(result.rules or {}, indent=2, ensure_ascii=False),
        '{"cases": []}',
    )
    try:  # the same rules as the administrators' import: checks, one draft at a time
        draft = admin_drafts.store_new_draft(
            call.session,
            call.actor,
            admin_drafts.check_context(call.session, _cache()),
            key=key,
            number=version,
            texts=texts,
            action="questionnaire.import",
            detail={"source": "fhir"},
        )
    except admin_drafts.DraftRefused as error:
        raise _checks_problem(
            "The questionnaire made from this resource does not pass the checks; see errors.",
            error,
        ) from None
    except admin_drafts.AdminError as error:
        raise ApiError(409, str(error)) from None
    location = url_for("api.get_questionnaire_version", key=key, version=draft.version)
    return json_response(
        {
            "key": key,
            "version": draft.version,
            "status": draft.status.value,
            "report": [note.to_dict() for note in result.notes],
        },
        status=201,
        headers={"Location": location},
    )


def _note(note: fhir.ImportNote) -> str:
    return f"{note.link_id}: {note.message}" if note.link_id else note.message


@route(
    "/questionnaires/<key>/versions/<int:version>/publish",
    "POST",
    summary="Publish a draft whose checks and test cases pass",
    tag=TAG,
    scope="questionnaires:write",
    body=EmptySchema,
    body_required=False,
    responses={200: ("The published version", QuestionnaireVersionSchema)},
    problems=(404, 409, 422),
    idempotent=True,
)
def publish_questionnaire(call: Call, key: str, version: int) -> Response:
    """Publish the draft: every check and test case must pass (422 lists the problems)."""
    found = _version(call, key, version)
    try:  # exactly what the administrators' Publish button does
        admin_drafts.publish(
            call.session,
            call.actor,
            admin_drafts.check_context(call.session, _cache()),
            found,
            expected_revision=admin_drafts.current_revision(call.session, found),
        )
    except admin_drafts.DraftRefused as error:
        raise _checks_problem(
            "This draft does not pass its checks and test cases; see errors.", error
        ) from None
    except admin_drafts.AdminError as error:  # not a draft, or saved again meanwhile
        raise ApiError(409, str(error)) from None
    return _version_response(found)


def _checks_problem(title: str, error: admin_drafts.DraftRefused | QuestionnaireError) -> ApiError:
    return ApiError(
        422,
        title,
        errors=[
            {"pointer": "", "message": f"{p.file} {p.pointer or '/'}: {p.message}"}
            for p in error.problems
        ],
    )


@route(
    "/questionnaires/<key>/score",
    "POST",
    summary="Score answers: the decision, storing nothing",
    tag=TAG,
    scope="questionnaires:read",
    body=ScoreRequestSchema,
    responses={200: ("The decision the answers would get", ScoreResponseSchema)},
    problems=(404, 422),
)
def score(call: Call, key: str) -> Response:
    """Validate complete answers against the version (default: the latest published) and
    decide. Nothing is stored or audited: no record is read. A value sent for a calculated
    question (a total) is not used: it is returned beside the computed one in
    ``stated_totals``, with a warning when they differ."""
    wanted = call.body.get("version")
    found = (
        _version(call, key, wanted) if wanted is not None else latest_published(call.session, key)
    )
    if found is None:
        raise ApiError(404, f"There is no published questionnaire {key!r}.")
    prepared = prepare_version(call.session, _cache(), found)
    answers = prepared.questionnaire.prune(call.body["answers"])
    errors = prepared.questionnaire.validate(answers, complete=True)
    if errors:
        raise answers_problem(AnswersInvalid(errors))
    if prepared.ruleset is None:
        raise ApiError(422, "This questionnaire has no rules, so it cannot make a decision.")
    try:
        decision = prepared.ruleset.evaluate(answers).to_dict()
    except RuleEvaluationError as error:
        raise ApiError(
            422,
            f"The rules of {prepared.ruleset_name} could not make a decision on these answers: "
            f"rule {error.rule!r} gave a result that is not a number ({error.message}).",
        ) from None
    stated = totals.reconcile(
        prepared,
        totals.from_answers(prepared, call.body["answers"]),
        answers,
        decision.get("scores"),
    )
    return json_response(
        {
            "key": key,
            "version": found.version,
            "decision": decision,
            "stated_totals": totals.shown(stated),
            "warnings": totals.disagreements(stated),
        }
    )
