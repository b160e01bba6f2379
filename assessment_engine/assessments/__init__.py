"""The assessment lifecycle (draft, submit, decide, sign off, amend) and its referrals."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The assessment, review, sign-off and referral queue pages, and what the record's pages
    show of a person's assessments."""
    from ..records.parts import RecordPageParts, provide
    from . import review
    from .access import my_work
    from .queue_views import bp as queue_bp
    from .services import client_assessments
    from .signoff_views import bp as signoff_bp
    from .timeline import client_timeline
    from .views import bp

    provide(
        app,
        RecordPageParts(assessments=client_assessments, timeline=client_timeline, work=my_work),
    )
    app.register_blueprint(bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(signoff_bp)
    app.register_blueprint(queue_bp)
