"""Outputs and outcomes for managers and partnership leads, and the person-level return."""

from __future__ import annotations

from flask import Flask

#: The scheduled job that folds each finished day into the outputs page's facts: its name and
#: default interval (``create_app`` registers ``reports.jobs.fold_report_facts`` under it with
#: the scheduler, which sits beside this package and imports the API).
FOLD_JOB = "report-facts"
FOLD_SECONDS = 900.0


def init_app(app: Flask) -> None:
    """The outputs page."""
    from .views import bp

    app.register_blueprint(bp)
