"""Outputs and outcomes for managers and partnership leads (``outputs``, ``facts``), and the
person-level quarterly return for performance analysts (``quarterly``: its page, the API's
``/reports/return`` and ``flask reports return``)."""

from __future__ import annotations

from flask import Flask

#: The scheduled job that folds each finished day into the outputs page's facts: its name and
#: default interval (``create_app`` registers ``reports.jobs.fold_report_facts`` under it with
#: the scheduler, which sits beside this package and imports the API).
FOLD_JOB = "report-facts"
FOLD_SECONDS = 900.0


def init_app(app: Flask) -> None:
    """The outputs page and the return's (one blueprint). The commands (``flask reports``) are
    ``jobs.reports_cli``, with the return's added by ``commands``."""
    from . import commands, views_return  # noqa: F401  (they add to jobs.reports_cli, views.bp)
    from .views import bp

    app.register_blueprint(bp)
