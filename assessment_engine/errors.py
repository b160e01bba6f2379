"""Error pages for people and problem+json (RFC 9457) for the API. A 500 is always a bug."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

_PAGES: dict[int, tuple[str, list[str]]] = {
    400: ("There is a problem with this request", ["Go back and try again."]),
    403: (
        "You cannot do this",
        ["Your role does not allow it. Ask an administrator in your organisation if you need to."],
    ),
    404: (
        "Page not found",
        [
            "If you typed the web address, check it is correct.",
            (
                "If you followed a link to a person's record, "
                "it may not be shared with your organisation."
            ),
        ],
    ),
    405: ("There is a problem with this request", ["Go back and try again."]),
    413: (
        "That was too large",
        ["What you sent was over the size limit. Send less and try again."],
    ),
    429: ("Too many attempts", ["Wait a minute, then try again."]),
    500: (
        "Sorry, there is a problem with the service",
        ["Try again later. What you saved before this is safe."],
    ),
}


def loggable(value: object, limit: int = 500) -> str:
    """``value`` for a log line: control characters, quotes and backslashes escaped, so the
    line cannot be broken or forged, and cut to ``limit`` characters."""
    text = str(value)[:limit]
    return text.encode("unicode_escape", errors="backslashreplace").decode("ascii")


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        return (
            render_template(
                "errors/error.html",
                title="This form has expired",
                paragraphs=[
                    "For your security, forms stop working when you sign out or after a while.",
                    "Go back, reload the page and try again. Anything you saved before is safe.",
                ],
            ),
            400,
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        status = error.code or 500
        if wants_problem_json():
            return problem(status, error.name, error.description or "")
        title, paragraphs = _PAGES.get(status, (error.name, [error.description or ""]))
        response = render_template("errors/error.html", title=title, paragraphs=paragraphs)
        headers = {}
        retry_after = getattr(error, "retry_after", None)
        if status == 429 and retry_after:
            headers["Retry-After"] = str(retry_after)
        return response, status, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        # The path is the client's: escaped, so it cannot forge a log line. The database's
        # errors carry no parameters (hide_parameters), so no record data reaches the log.
        log.exception("Unhandled error on %s %s", request.method, loggable(request.path))
        if wants_problem_json():
            return problem(500, "Internal Server Error", "An unexpected error occurred.")
        title, paragraphs = _PAGES[500]
        return render_template("errors/error.html", title=title, paragraphs=paragraphs), 500
