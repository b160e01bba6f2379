"""The shared client record: create, find by CHI, read with its timeline."""

from __future__ import annotations

from contextlib import suppress

from flask import Response, url_for

from ..assessments.referrals import referrals_of_client
from ..assessments.services import client_assessments
from ..records import access
from ..records import services as records
from ..records.identity import IdentifierError, validate_chi
from . import representations as show
from .http import Call, json_response
from .problems import ApiError
from .routes import Routes
from .schemas import ClientCreateSchema, ClientDetailSchema, ClientListSchema, ClientQuerySchema

#: This module's operations, routed by ``api.init_app``.
route = Routes()

TAG = "Clients"


@route(
    "/clients",
    "POST",
    summary="Create the shared record of a person",
    tag=TAG,
    scope="clients:write",
    body=ClientCreateSchema,
    responses={201: ("The new record", ClientDetailSchema)},
    problems=(409, 422),
    idempotent=True,
    location=True,
    etag=True,
)
def create_client(call: Call) -> Response:
    """Create the record; 409 with ``existing_id`` when the CHI number is recorded already."""
    body = call.body
    details = records.ClientDetails(
        chi=body["chi"],
        given_name=body["given_name"],
        family_name=body["family_name"],
        date_of_birth=body["date_of_birth"],
        nhs_number=body["nhs_number"],
        postcode=body["postcode"],
        address=body["address"],
        gp_practice=body["gp_practice"],
        communication_needs=body["communication_needs"],
    )
    try:
        client = records.create_client(call.session, call.actor, details)
    except records.ClientValidationError as error:
        raise ApiError(
            422,
            "The person's details have problems; see errors.",
            errors=[{"pointer": f"/{name}", "message": m} for name, m in error.errors.items()],
        ) from None
    except records.DuplicateClientError as error:
        raise ApiError(
            409,
            "A record with this CHI number already exists.",
            errors=[{"pointer": "/chi", "message": "A record with this CHI number exists"}],
            existing_id=str(error.existing.id),
            headers={"Location": url_for("api.get_client", client_id=str(error.existing.id))},
        ) from None
    return json_response(
        show.client_detail(access.access_to(call.session, call.actor, client), [], []),
        status=201,
        headers={
            "Location": url_for("api.get_client", client_id=str(client.id)),
            "ETag": f'"{show.client_etag(client)}"',
        },
    )


@route(
    "/clients",
    "GET",
    summary="Find a person's record by CHI number",
    tag=TAG,
    scope="clients:read",
    query=ClientQuerySchema,
    responses={200: ("The record with this CHI number, if any", ClientListSchema)},
    problems=(422,),
)
def find_clients(call: Call) -> Response:
    """Exact match on the CHI number (spaces allowed); the view of a found record is audited.
    A record whose person declined sharing with your organisation is given at the identity
    level only (``restricted: true``, and whom to contact)."""
    try:
        chi = validate_chi(call.query["chi"])
    except IdentifierError as error:
        raise ApiError(
            422,
            "The CHI number is not valid.",
            errors=[{"parameter": "chi", "message": str(error)}],
        ) from None
    found = records.find_by_chi(call.session, chi)
    items = []
    if found is not None:
        with suppress(access.RecordNotFound):  # a record it may not see is simply not found
            visible = access.open_record(call.session, call.actor, found.id)
            items.append(show.client_summary(visible))
    return json_response({"items": items, "next_cursor": None})


@route(
    "/clients/<client_id>",
    "GET",
    summary="A person's record with its timeline",
    tag=TAG,
    scope="clients:read",
    responses={200: ("The record as your organisation may see it", ClientDetailSchema)},
    problems=(404,),
    etag=True,
)
def get_client(call: Call, client_id: str) -> Response:
    """The record and its timeline (assessments, decisions, referrals), audited as a view.
    Where the person declined sharing with your organisation: the identity only, with
    ``restricted: true`` and whom to contact (no details, no timeline)."""
    try:
        visible = access.open_record(call.session, call.actor, client_id)
    except access.RecordNotFound:
        raise ApiError(404, "There is no record with this id that you may see.") from None
    client = visible.client
    shown = visible.answers
    document = show.client_detail(
        visible,
        client_assessments(call.session, client.id) if shown else [],
        referrals_of_client(call.session, client.id) if shown else [],
    )
    return json_response(document, headers={"ETag": f'"{show.client_etag(client)}"'})
