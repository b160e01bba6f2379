"""Referrals to the caller's organisation: the queue, and accepting, declining, completing."""

from __future__ import annotations

import uuid

from flask import Response

from ..assessments import referrals
from ..assessments.models import ReferralStatus
from ..records.services import RecordNotFound
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


@route(
    "/referrals/<referral_id>",
    "PATCH",
    summary="Accept, decline (with a reason) or complete a referral",
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
    Needs ``If-Match`` with the ETag of the referral as last read."""
    try:
        referral = referrals.referral_for(call.session, call.actor, referral_id)
    except RecordNotFound:
        raise ApiError(404, "There is no referral with this id to your organisation.") from None
    check_if_match(show.referral_etag(referral))
    body = call.body
    try:
        status = ReferralStatus(body["status"])
        if status is ReferralStatus.ACCEPTED:
            worker = None
            if "assigned_to" in body:
                try:
                    worker = referrals.worker_for(call.session, call.actor, body["assigned_to"])
                except referrals.ReferralError as error:
                    raise ApiError(
                        422,
                        str(error),
                        errors=[{"pointer": "/assigned_to", "message": str(error)}],
                    ) from None
            referrals.accept(
                call.session,
                call.actor,
                referral,
                expected_version=referral.version,
                assign_to=worker,
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
            referrals.complete(
                call.session, call.actor, referral, expected_version=referral.version
            )
    except referrals.StaleReferral:
        raise ApiError(412, "This referral has changed since you read it.") from None
    except referrals.ReferralError as error:
        raise ApiError(409, str(error)) from None
    return json_response(
        show.referral(referral), headers={"ETag": f'"{show.referral_etag(referral)}"'}
    )
