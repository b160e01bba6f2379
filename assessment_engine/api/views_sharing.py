"""The person's views on sharing, read and recorded by partner systems under the same rules as
the pages (``records.sharing``): only where the record's content may be known, and lifting
another organisation's restriction needs a view the person stated later."""

from __future__ import annotations

from flask import Response

from ..partners.services import get_organisation
from ..records import access, sharing
from ..records.models import SharingView
from .http import Call, decode_cursor, iso, json_response, page
from .problems import ApiError
from .routes import Routes
from .schemas import (
    PageQuerySchema,
    SharingViewCreateSchema,
    SharingViewListSchema,
    SharingViewSchema,
)

route = Routes()
TAG = "Clients"


def _view(view: SharingView) -> dict[str, object]:
    return {
        "id": str(view.id),
        "status": view.status.value,
        "partners": [partner.organisation.slug for partner in view.partners],
        "stated_on": view.stated_on.isoformat(),
        "notes": view.notes,
        "recorded_at": iso(view.recorded_at),
        "recorded_by": view.recorded_by.name if view.recorded_by else None,
        "recorded_by_organisation": view.recorded_by_organisation.slug,
    }


def _opened(call: Call, client_id: str, writing: bool) -> access.RecordAccess:
    opener = access.open_record_for_writing if writing else access.open_record_content
    try:
        return opener(call.session, call.actor, client_id, action="sharing.view")
    except access.RecordNotFound:
        raise ApiError(404, "There is no record with this id that you may see.") from None


@route(
    "/clients/<client_id>/sharing-views",
    "GET",
    summary="The person's views on sharing, newest first",
    tag=TAG,
    scope="clients:read",
    query=PageQuerySchema,
    responses={200: ("Newest first, with who recorded each", SharingViewListSchema)},
    problems=(404, 422),
)
def list_sharing_views(call: Call, client_id: str) -> Response:
    """Every recorded view (they are history: never changed), where your organisation may see
    the record's content; audited as ``sharing.view``."""
    opened = _opened(call, client_id, writing=False)
    after = decode_cursor(call.query["cursor"])
    views = sharing.sharing_history(call.session, opened.client.id)
    if after is not None:
        if not after.isdigit():
            raise ApiError(
                422,
                "The cursor is not one this API gave out.",
                errors=[{"parameter": "cursor", "message": "Not a valid cursor."}],
            )
        views = [view for view in views if view.id < int(after)]
    limit = call.query["limit"]
    items, cursor = page(views[: limit + 1], limit, lambda view: str(view.id))
    return json_response({"items": [_view(v) for v in items], "next_cursor": cursor})


@route(
    "/clients/<client_id>/sharing-views",
    "POST",
    summary="Record a view the person stated on sharing",
    tag=TAG,
    scope="clients:write",
    body=SharingViewCreateSchema,
    responses={201: ("The view recorded", SharingViewSchema)},
    problems=(404, 422),
    idempotent=True,
)
def record_sharing_view(call: Call, client_id: str) -> Response:
    """A view covers partner organisations (never your own). Lifting a restriction that
    another organisation recorded needs a view the person stated after it; that
    organisation is shown the change."""
    opened = _opened(call, client_id, writing=True)
    body = call.body
    partner_ids: list[int] = []
    for index, slug in enumerate(body["partners"]):
        found = get_organisation(call.session, slug)
        if found is None:
            raise ApiError(
                422,
                "There is no partner organisation with this slug.",
                errors=[{"pointer": f"/partners/{index}", "message": "No such organisation"}],
            )
        partner_ids.append(found.id)
    try:
        view = sharing.record_sharing_view(
            call.session,
            call.actor,
            opened.client,
            status=body["status"],
            stated_on=body["stated_on"],
            partner_ids=partner_ids,
            notes=body["notes"],
        )
    except sharing.SharingError as error:
        raise ApiError(
            422,
            "The view on sharing has problems; see errors.",
            errors=[{"pointer": f"/{name}", "message": m} for name, m in error.errors.items()],
        ) from None
    return json_response(_view(view), status=201)
