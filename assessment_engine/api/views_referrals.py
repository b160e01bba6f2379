"""Referrals to the caller's organisation: the queue; accepting, declining, completing; raising
a referral's own priority (the same services as the pages)."""

from __future__ import annotations

import uuid

from flask import Response

from ..assessments import referrals
from ..assessments.models import Referral, ReferralStatus
from ..records.services import RecordNotFound
from ..scoring.outcomes import Priority, Urgency
from . import representations as show
from .http import Call, check_if_match, decode_cursor, json_response, page
from .problems import ApiError
from .routes import Routes
from .schemas import ReferralListSchema, ReferralPatchSchema, ReferralQuerySchema, ReferralSchema

#: This module's operations, routed by ``api.init_app``.
route = Routes()

TAG = "Referrals"


@route(
    "/referrals",
    "GET",
    summary="Referrals to your organisation",
    tag=TAG,
    scope="referrals:read",
    query=ReferralQuerySchema,
    responses={200: ("Oldest first", ReferralListSchema)},
    problems=(422,),
)
def list_referrals(call: Call) -> Response:
    """The organisation's referrals, oldest first, optionally of one ``status``."""
    after = decode_cursor(call.query["cursor"])
    try:
        position = uuid.UUID(after) if after else None
    except ValueError:
        raise ApiError(
            422,
            "The cursor is not one this API gave out.",
            errors=[{"parameter": "cursor", "message": "Not a valid cursor."}],
        ) from None
    status = call.query.get("status")
    limit = call.query["limit"]
    found = referrals.queue(
        call.session,
        call.actor,
        status=ReferralStatus(status) if status else None,
        after=position,
        limit=limit + 1,
    )
    items, cursor = page(found, limit, lambda referral: str(referral.id))
    return json_response({"items": [show.referral(r) for r in items], "next_cursor": cursor})


@route(
    "/referrals/<referral_id>",
    "GET",
    summary="One referral to your organisation",
    tag=TAG,
    scope="referrals:read",
    responses={200: ("The referral", ReferralSchema)},
    problems=(404,),
    etag=True,
)
def get_referral(call: Call, referral_id: str) -> Response:
    """A referral addressed to your organisation, with the ETag a PATCH needs (audited)."""
    try:
        referral = referrals.open_referral(call.session, call.actor, referral_id)
    except RecordNotFound:
        raise ApiError(404, "There is no referral with this id to your organisation.") from None
    return json_response(
        show.referral(referral), headers={"ETag": f'"{show.referral_etag(referral)}"'}
    )


#: The request body member each service field name stands for, where they differ.
_BODY_MEMBER = {"worker": "assigned_to"}


@route(
    "/referrals/<referral_id>",
    "PATCH",
    summary="Accept, decline (with a reason) or complete a referral, or raise its priority",
    tag=TAG,
    scope="referrals:write",
    body=ReferralPatchSchema,
    responses={200: ("The referral", ReferralSchema)},
    problems=(404, 409, 412, 422, 428),
    if_match=True,
    etag=True,
)
def patch_referral(call: Call, referral_id: str) -> Response:
    """Only the organisation the referral is addressed to may act on it (others get 404).
    Needs ``If-Match`` with the ETag of the referral as last read.

    ``status`` accepts, declines (with ``reason``) or completes it. ``priority`` and/or
    ``urgency``, with ``priority_reason``, raise the referral's own priority and urgency by the
    same rule as the pages: never lower than the decision gave it (422 pointing at the member
    that would lower it), only while it is pending or accepted. Both in one request raise the
    priority first, then change the status; if either is refused, nothing is changed."""
    try:
        referral = referrals.referral_for(call.session, call.actor, referral_id)
    except RecordNotFound:
        raise ApiError(404, "There is no referral with this id to your organisation.") from None
    check_if_match(show.referral_etag(referral))
    body = call.body
    try:
        if "priority" in body or "urgency" in body:
            referrals.raise_priority(
                call.session,
                call.actor,
                referral,
                priority=Priority(body.get("priority", referral.priority.value)),
                urgency=Urgency(body["urgency"]) if "urgency" in body else None,
                reason=body.get("priority_reason", ""),
                expected_version=referral.version,
            )
        if "status" in body:
            _change_status(call, referral, ReferralStatus(body["status"]))
    except referrals.StaleReferral:
        raise ApiError(412, "This referral has changed since you read it.") from None
    except referrals.ReferralError as error:
        if error.field is None:
            raise ApiError(409, str(error)) from None
        pointer = "/" + _BODY_MEMBER.get(error.field, error.field)
        raise ApiError(
            422, str(error), errors=[{"pointer": pointer, "message": str(error)}]
        ) from None
    return json_response(
        show.referral(referral), headers={"ETag": f'"{show.referral_etag(referral)}"'}
    )


def _change_status(call: Call, referral: Referral, status: ReferralStatus) -> None:
    """Accept (assigning ``assigned_to``, if given), decline or complete."""
    body = call.body
    if status is ReferralStatus.ACCEPTED:
        worker = None
        if "assigned_to" in body:
            worker = referrals.worker_for(call.session, call.actor, body["assigned_to"])
        referrals.accept(
            call.session, call.actor, referral, expected_version=referral.version, assign_to=worker
        )
    elif status is ReferralStatus.DECLINED:
        referrals.decline(
            call.session,
            call.actor,
            referral,
            reason=body["reason"],
            expected_version=referral.version,
        )
    else:
        referrals.complete(call.session, call.actor, referral, expected_version=referral.version)
