"""Administration: the questionnaire library and editor, organisations, users, services and API
clients, under /admin for administrators only."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the /admin blueprint and the drafts' runtime cache."""
    from ..questionnaires.preview import DraftRuntimeCache
    from . import (  # noqa: F401  (they add routes to views.bp)
        views,
        views_accounts,
        views_outbox,
        views_rules,
    )

    app.extensions["admin_draft_runtimes"] = DraftRuntimeCache()
    app.register_blueprint(views.bp)
