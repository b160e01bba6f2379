"""Support arranged for accepted referrals, the 6-week standard and review cycles."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The support and review pages, and the support start dates the referral queue shows."""
    from . import services
    from .views import bp

    app.extensions["support_started"] = services.support_started
    app.register_blueprint(bp)
