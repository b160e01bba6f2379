"""The JSON API for partner systems under ``/api/v1`` (see ``product/api.md``): bearer tokens
with scopes, problem+json errors, idempotent submissions, ETags, FHIR R4 and OpenAPI 3.1.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint and the API client commands."""
    from . import (  # noqa: F401  (each module declares its operations on the blueprint)
        views_assessments,
        views_clients,
        views_meta,
        views_questionnaires,
        views_referrals,
        views_sharing,
    )
    from .cli import register_commands
    from .routes import bp

    app.register_blueprint(bp)
    register_commands(app)
