"""The plumbing every API operation shares: token and scope, body and query parsing, the
single commit at the edge, ETags and cursors.

:func:`operation` declares an endpoint once: its route, scope, request and response schemas.
The same declaration drives the checks here and the OpenAPI document (see ``openapi``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, request
from flask_limiter.util import get_remote_address
from marshmallow import Schema, ValidationError
from sqlalchemy.orm.exc import StaleDataError

from ..db import DbSession
from ..extensions import db
from ..kernel.actor import Actor
from ..pages import audit_refusals
from . import idempotency
from .models import ApiClient
from .problems import ApiError, parameter_errors, validation_errors
from .tokens import actor_for, authenticate, note_use

JSON = "application/json"
FHIR_JSON = "application/fhir+json"
CSV = "text/csv"
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Operation:
    """One endpoint as the OpenAPI document describes it."""

    method: str
    path: str
    endpoint: str
    summary: str
    description: str
    tag: str
    scope: str | None
    body: type[Schema] | None = None
    body_required: bool = True
    body_types: tuple[str, ...] = (JSON,)
    query: type[Schema] | None = None
    responses: Mapping[int, tuple[str, type[Schema] | None]] = field(default_factory=dict)
    response_types: tuple[str, ...] = (JSON,)
    idempotent: bool = False
    if_match: bool = False
    etag: bool = False
    location: bool = False
    #: Problem statuses this operation can answer with (added to the OpenAPI document).
    problems: tuple[int, ...] = ()


@dataclass
class Call:
    """What a view gets: the caller, its actor, the parsed body and query, the session."""

    client: ApiClient
    actor: Actor
    body: Any
    query: Any
    session: DbSession


def _openapi_path(rule: str) -> str:
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def operation(
    bp: Blueprint,
    operations: list[Operation],
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    scope: str | None,
    description: str = "",
    **options: Any,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Declare an API operation: route it, check it, and describe it for OpenAPI."""

    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        op = Operation(
            method=method.lower(),
            path=bp.url_prefix + _openapi_path(rule) if bp.url_prefix else _openapi_path(rule),
            endpoint=f"{bp.name}.{view.__name__}",
            summary=summary,
            description=description or inspect.cleandoc(view.__doc__ or ""),
            tag=tag,
            scope=scope,
            **options,
        )
        operations.append(op)

        @wraps(view)
        def handle(**kwargs: Any) -> Response:
            client = require_client(op.scope)
            query = _load_query(op)
            body, raw = _load_body(op)
            call = Call(
                client=client,
                actor=actor_for(client, request.remote_addr or ""),
                body=body,
                query=query,
                session=session(),
            )

            def run(finish: Callable[[Response], None] | None = None) -> Response:
                return _in_transaction(lambda: view(call, **kwargs), finish)

            key = request.headers.get("Idempotency-Key")
            if op.idempotent and key is not None:
                return idempotency.run(
                    session(), client, key, _fingerprint(raw), run, replay=_replay
                )
            return run()

        bp.add_url_rule(rule, view.__name__, handle, methods=[method.upper()])
        return handle

    return decorator


def _in_transaction(
    view: Callable[[], Response], finish: Callable[[Response], None] | None = None
) -> Response:
    """Run the view; commit once if it succeeded, roll everything back if not.

    A refusal that the access policy noted (``kernel.audit.note_refusal``) is audited after the
    rollback, in a short transaction of its own (the pages' edge does the same).

    ``finish`` stages anything that must be committed with the view's work (the stored
    response of an idempotent request).
    """
    try:
        response = view()
        if response.status_code < 400:
            if finish is not None:
                finish(response)
            db.session.commit()
        else:
            db.session.rollback()
            audit_refusals()
        return response
    except StaleDataError:
        db.session.rollback()
        raise ApiError(
            412, "Someone else changed this record at the same time; fetch it and try again."
        ) from None
    except BaseException:
        db.session.rollback()
        audit_refusals()
        raise


def _replay(status: int, body: str, headers: Mapping[str, str]) -> Response:
    response = Response(body, status=status, headers=dict(headers))
    response.headers["Idempotent-Replayed"] = "true"
    return response


# ----------------------------------------------------------------------------- authentication


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _client_from_request() -> ApiClient | None:
    """The request's API client (looked up once per request), or None. Never the session."""
    if "api_client" not in g:
        token = _bearer_token()
        client = authenticate(session(), token) if token else None
        g.api_client = client
        if client is not None and note_use(session(), client):
            db.session.commit()
    found: ApiClient | None = g.api_client
    return found


def require_client(scope: str | None) -> ApiClient:
    """The authenticated client, with ``scope``; 401 without a valid token, 403 without scope."""
    client = _client_from_request()
    if client is None:
        has_token = _bearer_token() is not None
        raise ApiError(
            401,
            "The bearer token is unknown or revoked."
            if has_token
            else "Send an API token: Authorization: Bearer <token>.",
            headers={
                "WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'
                if has_token
                else 'Bearer realm="api"'
            },
        )
    if scope is not None and scope not in (client.scopes or []):
        raise ApiError(
            403,
            f"This API client does not have the {scope} scope.",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'
                )
            },
        )
    return client


def rate_limit_key() -> str:
    """Rate limits count per API client; requests without a valid token, per address."""
    client = _client_from_request()
    if client is not None:
        return f"api-client:{client.id}"
    return f"api-address:{get_remote_address()}"


# ------------------------------------------------------------------------------ request body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """Strict JSON (no NaN or Infinity); ApiError 400 when malformed."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        raise ApiError(400, f"The request body is not valid JSON: {detail}") from None


def _load_body(op: Operation) -> tuple[Any, Any]:
    """The body loaded through the operation's schema, and the parsed JSON (for fingerprints)."""
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413 from Werkzeug
    if op.body is None:
        if raw.strip():
            raise ApiError(
                422,
                "This operation takes no request body.",
                errors=[{"pointer": "", "message": "Send no body."}],
            )
        return None, None
    if not raw.strip():
        if op.body_required:
            _check_content_type(op)
            raise ApiError(400, "The request body is empty; send a JSON object.")
        return op.body().load({}), {}
    _check_content_type(op)
    parsed = parse_json(raw)
    try:
        return op.body().load(parsed), parsed
    except ValidationError as error:
        raise ApiError(
            422,
            "The request body has problems; see errors.",
            errors=validation_errors(error.messages),
        ) from None


def _check_content_type(op: Operation) -> None:
    if request.mimetype not in op.body_types:
        raise ApiError(
            415,
            f"Send the body as {' or '.join(op.body_types)}"
            + (f", not {request.mimetype}." if request.mimetype else "."),
        )


def _load_query(op: Operation) -> Any:
    if op.query is None:
        return None
    try:
        return op.query().load(request.args.to_dict(flat=True))
    except ValidationError as error:
        raise ApiError(
            422,
            "The query parameters have problems; see errors.",
            errors=parameter_errors(error.messages),
        ) from None


def _fingerprint(parsed: Any) -> str:
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    material = f"{request.method} {request.path}\n{canonical}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def session() -> DbSession:
    """The request's session (Flask-SQLAlchemy's scoped session)."""
    return db.session


# ---------------------------------------------------------------------------------- responses


def json_response(
    data: Any,
    status: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    mimetype: str = JSON,
) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, mimetype=mimetype, headers=dict(headers or {}))
    return response


def etag(kind: str, record_id: object, version: object) -> str:
    """An opaque strong validator for one version of a record (unquoted)."""
    return hashlib.sha256(f"{kind}:{record_id}:{version}".encode()).hexdigest()[:24]


def check_if_match(current: str) -> None:
    """428 without ``If-Match``; 412 when it names another version than ``current``."""
    if "If-Match" not in request.headers:
        raise ApiError(
            428,
            "Send If-Match with the ETag you last read, so that nobody's change is overwritten.",
            errors=[{"parameter": "If-Match", "message": "This header is required."}],
        )
    if request.if_match.star_tag:
        return
    if not request.if_match.contains(current):
        raise ApiError(
            412,
            "This record has changed since you read it; fetch it again and re-apply your change.",
            errors=[{"parameter": "If-Match", "message": "Does not match the current ETag."}],
        )


def encode_cursor(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The position a cursor stands for; ApiError 422 when it is not one of ours."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = value["after"]
        if not isinstance(after, str):
            raise TypeError(after)
        return str(after)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        raise ApiError(
            422,
            "The cursor is not one this API gave out.",
            errors=[{"parameter": "cursor", "message": "Not a valid cursor."}],
        ) from None


def page(
    items: list[Any], limit: int, position: Callable[[Any], str]
) -> tuple[list[Any], str | None]:
    """``items`` fetched with ``limit + 1``: the page and the cursor of the next, if any."""
    if len(items) > limit:
        shown = items[:limit]
        return shown, encode_cursor(position(shown[-1]))
    return items, None


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601 in UTC with ``Z`` (dates as they are)."""
    if value is None:
        return None
    text = value.isoformat()
    return text.replace("+00:00", "Z") if text.endswith("+00:00") else text


__all__ = [
    "FHIR_JSON",
    "JSON",
    "Call",
    "Operation",
    "check_if_match",
    "decode_cursor",
    "etag",
    "iso",
    "json_response",
    "operation",
    "page",
    "rate_limit_key",
    "require_client",
]
