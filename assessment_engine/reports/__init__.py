"""Outputs and outcomes for managers and analysts: the person-level quarterly return
(``quarterly``: its page, the API's ``/reports/return`` and ``flask reports return``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The return's page and its command."""
    from .commands import reports_group
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(reports_group)
