"""The JSON API for partner systems under ``/api/v1`` (see ``product/api.md``): bearer tokens
with scopes, problem+json errors, idempotent submissions, ETags, FHIR R4 and OpenAPI 3.1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask

if TYPE_CHECKING:
    from .http import Operation


def build_blueprint() -> tuple[Blueprint, list[Operation]]:
    """The blueprint with every operation, and the operations (for OpenAPI and the fuzzing)."""
    from . import (
        views_assessments,
        views_clients,
        views_meta,
        views_questionnaires,
        views_referrals,
        views_reports,
        views_sharing,
        views_support,
    )
    from .routes import build_blueprint as build

    return build(
        [
            views_assessments.route,
            views_clients.route,
            views_questionnaires.route,
            views_referrals.route,
            views_reports.route,
            views_sharing.route,
            views_support.route,
        ],
        pages=[views_meta.register],
    )


def init_app(app: Flask) -> None:
    """Register the blueprint and the API client commands."""
    from .cli import register_commands

    bp, operations = build_blueprint()
    app.extensions["api_operations"] = operations
    app.register_blueprint(bp)
    register_commands(app)
