"""The shared client record, its identifiers and the audit of every access."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.exceptions import Forbidden


def init_app(app: Flask) -> None:
    """The record's pages; what they show of assessments comes from ``records.parts``."""
    from . import record_views  # noqa: F401  (routes on the records blueprint)
    from .access import AccessDenied
    from .checkpoints import checkpoint_policy
    from .views import bp

    app.register_blueprint(bp)
    app.extensions["audit_checkpoints"] = checkpoint_policy(app.config)

    @app.errorhandler(AccessDenied)
    def _denied(_error: AccessDenied) -> Any:
        return app.handle_http_exception(Forbidden())
