"""Support arranged for referrals, and its reviews (api.md "Additions"): the same services as
the pages (``support.services``); a plan and its reviews exist only for the organisation the
referral was addressed to."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Response, request

from ..assessments import referrals
from ..assessments.clock import uk_today
from ..questionnaires.fhir.common import CHI_SYSTEM
from ..records.services import RecordNotFound
from ..support import services as support
from ..support.models import Review, SupportPlan
from . import representations as show
from .http import FHIR_JSON, Call, check_if_match, decode_cursor, etag, iso, json_response, page
from .problems import ApiError
from .routes import Routes
from .schemas import (
    FhirResourceSchema,
    ReviewListSchema,
    ReviewOutcomeSchema,
    ReviewQuerySchema,
    ReviewSchema,
    SupportCreateSchema,
    SupportPlanSchema,
)

route = Routes()
TAG = "Support"


def _by(user: object) -> str | None:
    return getattr(user, "name", None)


def review_body(review: Review, today: date) -> dict[str, object]:
    return {
        "id": str(review.id),
        "support_plan_id": str(review.plan_id),
        "client_id": str(review.client_id),
        "due_on": review.due_on.isoformat(),
        "overdue": review.overdue_on(today),
        "status": review.status.value,
        "assigned_to": str(review.assigned_to_id) if review.assigned_to_id else None,
        "assessment_id": str(review.assessment_id) if review.assessment_id else None,
        "outcome": review.outcome.value if review.outcome else None,
        "reason": review.reason,
        "end_reason": review.end_reason.value if review.end_reason else None,
        "person_agreed": review.person_agreed,
        "agreed_by": review.agreed_by.value if review.agreed_by else None,
        "carer_agreed": review.carer_agreed,
        "agreement_recorded_at": iso(review.agreement_recorded_at),
        "agreement_recorded_by": _by(review.agreement_recorded_by),
        "completed_at": iso(review.completed_at),
        "completed_by": _by(review.completed_by),
    }


def plan_body(plan: SupportPlan, today: date) -> dict[str, object]:
    upcoming = support.next_review(plan)
    return {
        "id": str(plan.id),
        "referral_id": str(plan.referral_id),
        "client_id": str(plan.client_id),
        "service": plan.service.slug,
        "organisation": plan.organisation.slug,
        "status": plan.status.value,
        "start_date": plan.start_date.isoformat(),
        "summary": plan.summary,
        "hours_per_week": support.hours_text(plan.minutes_per_week),
        "sds_option": plan.sds_option.value if plan.sds_option else None,
        "weekly_cost": support.cost_text(plan.weekly_cost_pence),
        "ended_on": iso(plan.ended_on),
        "next_review_due": upcoming.due_on.isoformat() if upcoming else None,
        "versions": [
            {
                "number": v.number,
                "status": v.status.value,
                "summary": v.summary,
                "hours_per_week": support.hours_text(v.minutes_per_week),
                "sds_option": v.sds_option.value if v.sds_option else None,
                "weekly_cost": support.cost_text(v.weekly_cost_pence),
                "reason": v.reason,
                "changed_at": iso(v.changed_at),
                "changed_by": _by(v.changed_by),
            }
            for v in plan.versions
        ],
        "reviews": [review_body(r, today) for r in plan.reviews],
    }


def plan_etag(plan: SupportPlan) -> str:
    return etag("support-plan", plan.id, plan.version)


def review_etag(review: Review) -> str:
    return etag("review", review.id, review.version)


def _refused(error: support.SupportError) -> ApiError:
    if isinstance(error, support.StaleSupport):
        return ApiError(412, "This has changed since you read it.")
    if not error.errors:
        return ApiError(409, str(error))
    return ApiError(
        422,
        "The request has problems; see errors.",
        errors=[{"pointer": f"/{name}", "message": m} for name, m in error.errors.items()],
    )


@route(
    "/referrals/<referral_id>/support",
    "POST",
    summary="Record the support arranged for an accepted referral",
    tag=TAG,
    scope="support:write",
    body=SupportCreateSchema,
    responses={201: ("The support plan, with next_review_due", SupportPlanSchema)},
    problems=(404, 409, 412, 422, 428),
    if_match=True,
    idempotent=True,
    etag=True,
)
def record_support(call: Call, referral_id: str) -> Response:
    """Only the organisation the referral is addressed to (others get 404), once a referral
    (409 after that), with ``If-Match`` on the referral; 404 too where the person's sharing
    view keeps their record's content from your organisation. The start date may not be before
    the assessment nor more than a year ahead; hours 0 to 168, at most two decimals; SDS option
    1 to 4; cost in pounds and pence (422 pointing at the member). The first review is
    scheduled from the review policy (or the assessor's proposed review date, where earlier)."""
    try:
        referral = referrals.referral_for(call.session, call.actor, referral_id)
    except RecordNotFound:
        raise ApiError(404, "There is no referral with this id to your organisation.") from None
    check_if_match(show.referral_etag(referral))
    body = call.body
    try:
        plan = support.record_support(
            call.session,
            call.actor,
            referral,
            start_date=body["start_date"],
            summary=body["summary"],
            hours_per_week=body["hours_per_week"],
            sds_option=body["sds_option"],
            weekly_cost=body["weekly_cost"],
            expected_version=referral.version,
        )
    except RecordNotFound:
        raise ApiError(404, "There is no referral with this id to your organisation.") from None
    except support.SupportError as error:
        raise _refused(error) from None
    call.session.refresh(plan)
    return json_response(
        plan_body(plan, uk_today()), status=201, headers={"ETag": f'"{plan_etag(plan)}"'}
    )


@route(
    "/support-plans/<plan_id>",
    "GET",
    summary="One support plan with its versions and reviews",
    tag=TAG,
    scope="support:read",
    responses={200: ("The support plan", SupportPlanSchema)},
    problems=(404,),
    etag=True,
)
def get_support_plan(call: Call, plan_id: str) -> Response:
    """A support plan of your organisation (audited as ``support.view``)."""
    try:
        plan = support.open_plan(call.session, call.actor, plan_id)
    except RecordNotFound:
        raise ApiError(404, "There is no support plan with this id of your organisation.") from None
    return json_response(plan_body(plan, uk_today()), headers={"ETag": f'"{plan_etag(plan)}"'})


def care_plan(plan: SupportPlan) -> dict[str, object]:
    """The plan as a FHIR R4 CarePlan: its status, period and activity, based on the referral
    (``ServiceRequest/<referral id>``) and supported by the assessment's QuestionnaireResponse
    (``QuestionnaireResponse/<assessment id>``, as ``/assessments/{id}/fhir`` gives it)."""
    terms = [plan.summary]
    hours = support.hours_text(plan.minutes_per_week)
    if hours:
        terms.append(f"{hours} hours a week")
    if plan.sds_option:
        terms.append(f"Self-directed Support {plan.sds_option.label.lower()}")
    cost = support.cost_text(plan.weekly_cost_pence)
    if cost:
        terms.append(f"weekly cost GBP {cost}")
    ended = plan.status.value == "ended"
    period: dict[str, str] = {"start": plan.start_date.isoformat()}
    if plan.ended_on:
        period["end"] = plan.ended_on.isoformat()
    return {
        "resourceType": "CarePlan",
        "id": str(plan.id),
        "status": "completed" if ended else "active",
        "intent": "plan",
        "title": plan.service.name,
        "description": plan.summary,
        "subject": {
            "identifier": {"system": CHI_SYSTEM, "value": plan.client.chi},
            "display": plan.client.display_name,
        },
        "period": period,
        "created": iso(plan.created_at),
        "author": {"display": plan.organisation.name},
        "basedOn": [{"reference": f"ServiceRequest/{plan.referral_id}"}],
        "supportingInfo": [{"reference": f"QuestionnaireResponse/{plan.referral.assessment_id}"}],
        "activity": [
            {
                "detail": {
                    "status": "completed" if ended else "in-progress",
                    "description": "; ".join(terms),
                }
            }
        ],
    }


@route(
    "/support-plans/<plan_id>/fhir",
    "GET",
    summary="A support plan as a FHIR R4 CarePlan",
    tag="FHIR",
    scope="support:read",
    responses={200: ("A FHIR R4 CarePlan", FhirResourceSchema)},
    response_types=(FHIR_JSON,),
    problems=(404,),
    etag=True,
)
def get_support_plan_fhir(call: Call, plan_id: str) -> Response:
    """The CarePlan references the assessment's QuestionnaireResponse (``supportingInfo``)
    and the referral (``basedOn``); the subject carries the CHI number."""
    try:
        plan = support.open_plan(call.session, call.actor, plan_id)
    except RecordNotFound:
        raise ApiError(404, "There is no support plan with this id of your organisation.") from None
    return json_response(
        care_plan(plan), mimetype=FHIR_JSON, headers={"ETag": f'"{plan_etag(plan)}"'}
    )


def _position(cursor: str | None) -> tuple[date, uuid.UUID] | None:
    after = decode_cursor(cursor)
    if after is None:
        return None
    try:
        day, _sep, key = after.partition("/")
        return date.fromisoformat(day), uuid.UUID(key)
    except ValueError:
        raise ApiError(
            422,
            "The cursor is not one this API gave out.",
            errors=[{"parameter": "cursor", "message": "Not a valid cursor."}],
        ) from None


@route(
    "/reviews",
    "GET",
    summary="Reviews of your organisation's support plans, most overdue first",
    tag=TAG,
    scope="support:read",
    query=ReviewQuerySchema,
    responses={200: ("Most overdue first", ReviewListSchema)},
    problems=(400, 422),
)
def list_reviews(call: Call) -> Response:
    """Open reviews by default (``status=overdue``: only those past their day;
    ``status=completed``: done ones); ``due_before`` limits them to reviews due before a day."""
    today = uk_today()
    limit = call.query["limit"]
    found = support.review_queue(
        call.session,
        call.actor,
        today,
        status=call.query.get("status"),
        due_before=call.query.get("due_before"),
        after=_position(call.query["cursor"]),
        limit=limit + 1,
    )
    items, cursor = page(found, limit, lambda r: f"{r.due_on.isoformat()}/{r.id}")
    return json_response({"items": [review_body(r, today) for r in items], "next_cursor": cursor})


@route(
    "/reviews/<review_id>/outcome",
    "POST",
    summary="Record a review's outcome",
    tag=TAG,
    scope="support:write",
    body=ReviewOutcomeSchema,
    responses={201: ("The review, completed", ReviewSchema)},
    problems=(404, 409, 412, 422),
    idempotent=True,
    etag=True,
)
def record_review_outcome(call: Call, review_id: str) -> Response:
    """``reduce``, or ``end`` for ``no_longer_needed`` or ``person_declined``, is refused (422
    pointing at ``/person_agreed``) unless ``person_agreed`` is true, and at ``/carer_agreed``
    unless the carer agreed where an unpaid carer is involved. ``end`` for ``died``,
    ``moved_away`` or ``long_term_care`` needs neither agreement nor review assessment; every
    other outcome names its submitted review assessment (``assessment_id``): the review's own
    where one was started from it, otherwise one submitted since support started or the last
    review, never the assessment the support came from (422 at ``/assessment_id``). Lower
    hours or cost are a reduction: ``increase`` with them is refused (422 at the member), and
    ``increase`` changing ``summary`` or ``sds_option`` needs the agreement as ``reduce`` does;
    ``reduce`` must change the hours or cost. ``If-Match``
    (the review's ETag), where sent, must match. The plan gets a new version and, unless it
    ended, its next review."""
    try:
        review = support.review_for(call.session, call.actor, review_id)
    except RecordNotFound:
        raise ApiError(404, "There is no review with this id of your organisation.") from None
    if "If-Match" in request.headers:
        check_if_match(review_etag(review))
    body = call.body
    try:
        support.record_outcome(
            call.session,
            call.actor,
            review,
            uk_today(),
            outcome=body["outcome"],
            reason=body["reason"],
            end_reason=body["end_reason"],
            person_agreed=body["person_agreed"],
            agreed_by=body["agreed_by"],
            carer_agreed=body["carer_agreed"],
            assessment_id=body["assessment_id"],
            terms={
                name: body[name]
                for name in ("summary", "hours_per_week", "sds_option", "weekly_cost")
                if body[name] is not None
            },
        )
    except support.SupportError as error:
        raise _refused(error) from None
    return json_response(
        review_body(review, uk_today()),
        status=201,
        headers={"ETag": f'"{review_etag(review)}"'},
    )
