"""The assessment lifecycle (draft, submit, decide, sign off, amend) and its referrals."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import review
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(review.bp)
