"""problem+json (RFC 9457) for every API error, with JSON Pointers to what was wrong.

Views raise :class:`ApiError`; the blueprint's handlers turn it, marshmallow's
``ValidationError`` and every HTTP error under ``/api/`` into one shape:
``{"type", "title", "status", "detail", "errors": [{"pointer" | "parameter", "message"}]}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from ..errors import problem

PROBLEM_TYPE = "about:blank"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
}


def escape(token: object) -> str:
    """One JSON Pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: object) -> str:
    return "".join("/" + escape(token) for token in tokens)


class ApiError(Exception):
    """An error the caller can act on: status, short title, detail and field errors."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Iterable[Mapping[str, str]] = (),
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = [dict(error) for error in errors]
        self.title = title or _TITLES.get(status, "Error")
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> Response:
        body: dict[str, Any] = dict(self.extra)
        body["errors"] = self.errors
        response = problem(self.status, self.title, self.detail, **body)
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


def unprocessable(errors: Iterable[Mapping[str, str]], detail: str = "") -> ApiError:
    found = list(errors)
    return ApiError(
        422,
        detail or f"{len(found)} problem(s) with the request; see errors",
        errors=found,
    )


def validation_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """marshmallow's nested error messages as ``{"pointer", "message"}`` entries."""
    found: list[dict[str, str]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            where = prefix if key == "_schema" else f"{prefix}/{escape(key)}"
            found += validation_errors(value, where)
    elif isinstance(messages, list | tuple):
        if all(isinstance(message, str) for message in messages):
            found += [{"pointer": prefix, "message": str(message)} for message in messages]
        else:
            for message in messages:
                found += validation_errors(message, prefix)
    else:
        found.append({"pointer": prefix, "message": str(messages)})
    return found


def parameter_errors(messages: Any) -> list[dict[str, str]]:
    """Errors in query parameters, named by ``parameter`` instead of a body pointer."""
    found = []
    for entry in validation_errors(messages):
        name = entry["pointer"].lstrip("/").split("/", 1)[0]
        found.append({"parameter": name, "message": entry["message"]})
    return found


def register_handlers(bp: Blueprint) -> None:
    """Every error raised under the blueprint becomes problem+json."""

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error.response()

    @bp.errorhandler(ValidationError)
    def _validation(error: ValidationError) -> Response:
        return unprocessable(validation_errors(error.messages)).response()

    @bp.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        detail = error.description or ""
        if status == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            detail = f"The request body is over the limit of {limit} bytes."
        headers: dict[str, str] = {}
        if status == 429:
            detail = "Too many requests from this API client; wait and try again."
            retry = _retry_after(error)
            if retry is not None:
                headers["Retry-After"] = str(retry)
        return ApiError(
            status, detail, title=_TITLES.get(status, error.name), headers=headers
        ).response()


def _retry_after(error: HTTPException) -> int | None:
    """Seconds until the breached limit resets (Flask-Limiter also sets the header itself)."""
    import time

    limit = getattr(error, "limit", None)
    reset_at = getattr(limit, "reset_at", None)
    if reset_at is None:
        return 1
    return max(1, int(reset_at - time.time()))
