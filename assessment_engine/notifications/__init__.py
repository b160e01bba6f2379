"""Notifications through an outbox (``outbox``), their wording and sending (``mail``), the daily
digest (``digest``) and the one mechanism for scheduled work (``scheduler``, ``jobs``,
``flask run-scheduled``)."""

from __future__ import annotations

from flask import Flask

from . import outbox  # noqa: F401  (its flush listener writes the outbox rows)
from .digest import (
    referrals_waiting_lines,
    register_contributor,
    reviews_lines,
    six_week_breach_lines,
)
from .jobs import MAILER, register_builtin_jobs
from .mail import mailer_from_config


def init_app(app: Flask) -> None:
    app.extensions[MAILER] = mailer_from_config(app.config, app.instance_path)
    # What each team's daily digest counts (counts and words only, no one's details).
    register_contributor(app, "referrals-waiting", referrals_waiting_lines)
    register_contributor(app, "reviews", reviews_lines)
    register_contributor(app, "six-week", six_week_breach_lines)
    register_builtin_jobs(app)
