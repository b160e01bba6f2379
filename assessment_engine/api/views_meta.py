"""The OpenAPI document and its documentation page (no token needed), and what applies to
every API route: problem+json handlers, the per-client rate limit and CSRF exemption
(:func:`register`, called by ``api.init_app``)."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Response, current_app, render_template

from ..extensions import csrf, limiter
from .http import rate_limit_key
from .openapi import build_spec
from .problems import register_handlers

#: Per API client (or, without a valid token, per address); ``API_RATE_LIMIT`` overrides it.
DEFAULT_RATE_LIMIT = "300 per minute"


def openapi_document() -> Response:
    """The OpenAPI 3.1 description of every operation (built once per app)."""
    document = current_app.extensions.get("api_openapi")
    if document is None:
        document = build_spec(current_app, current_app.extensions["api_operations"])
        current_app.extensions["api_openapi"] = document
    response = cast(Response, current_app.json.response(document))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def docs() -> str:
    """The documentation page: Swagger UI served from static/dist (built from npm)."""
    return render_template("api/docs.html")


def _rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def register(bp: Blueprint) -> None:
    """The document and its page, and what applies to every route of ``bp``."""
    bp.add_url_rule("/openapi.json", view_func=openapi_document, methods=["GET"])
    bp.add_url_rule("/docs", view_func=docs, methods=["GET"])
    register_handlers(bp)
    # Bearer tokens, never the session cookie: nothing here can be forged cross-site.
    csrf.exempt(bp)
    limiter.limit(_rate_limit, key_func=rate_limit_key)(bp)
