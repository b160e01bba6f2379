"""The single shared assessment engine for integrated health and social care."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then ``ASSESSMENT_*`` environment, then ``config``.

    Flask and the extensions are imported here, not at module level, so that the pure parts of
    the package (``assessment_engine.scoring``) can be imported without them.
    """
    import logging
    import secrets

    from flask import Flask, g
    from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

    from .config import load_config
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .questionnaires.runtime import VersionCache
    from .scoring.registry import load_registry

    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    logging.getLogger(__name__).setLevel(app.config["LOG_LEVEL"])

    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("assessment_engine"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    db.init_app(app)
    with app.app_context():
        _configure_engine(db.engine)
    from . import models  # noqa: F401  (every table on the metadata, for Alembic)

    migrate.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from govuk_frontend_wtf.main import WTFormsHelpers

    WTFormsHelpers(app)

    # Rule kinds come from the entry-point group, once; a duplicate name stops start-up here.
    rules = load_registry()
    app.extensions["assessment_rules"] = rules
    app.extensions["assessment_versions"] = VersionCache(
        Path(app.config["FORM_SCHEMAS_DIR"]), rules
    )

    from . import admin, api, assessments, auth, errors, records, templating
    from .cli import register_commands

    auth.init_app(app)
    records.init_app(app)
    api.init_app(app)
    assessments.init_app(app)
    admin.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    register_commands(app)

    @app.before_request
    def _csp_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    return app


def _configure_engine(engine: Any) -> None:
    """SQLite: enforce foreign keys, WAL, wait on locks, and real transactions with savepoints."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (needed for SAVEPOINT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Nearly every request writes (an audit event at least), so take the write lock up front:
        # two deferred transactions that both read and then write would otherwise fail.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
