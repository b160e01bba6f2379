"""Support arranged for accepted referrals, the 6-week standard and review cycles."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The support and review pages, the support start dates the referral queue shows, and
    the support entries of the record's timeline (after ``assessments.init_app``)."""
    from ..records.parts import RecordPageParts, provide
    from . import services
    from .timeline import with_support
    from .views import bp

    parts: RecordPageParts = app.extensions["record_page_parts"]
    provide(app, RecordPageParts(parts.assessments, with_support(parts.timeline), parts.work))
    app.extensions["support_started"] = services.support_started
    app.register_blueprint(bp)
