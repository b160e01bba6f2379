"""The single shared assessment engine for integrated health and social care."""

from __future__ import annotations

import threading
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

    from flask import Flask, g, request
    from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

    from .config import load_config
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .questionnaires.runtime import VersionCache
    from .questionnaires.types.registry import EXTENSION_KEY as QUESTION_TYPES
    from .questionnaires.types.registry import load_question_types
    from .scoring.registry import load_registry

    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    logging.getLogger(__name__).setLevel(app.config["LOG_LEVEL"])
    if app.config["TRUSTED_PROXY_COUNT"]:
        # Behind N reverse proxies, the client's address, scheme and host are the ones the
        # proxies say (the last N of X-Forwarded-*); a client cannot forge them past the proxies.
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

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

    @app.before_request
    def _keep_what_reads_loaded() -> None:
        # A GET commits only its audit events (and the sign-in session's last-seen time), then
        # renders what it loaded. Expiring everything at those commits made the templates load
        # each object again, one query each: a quarter of a section page's time.
        if request.method in ("GET", "HEAD"):
            db.session().expire_on_commit = False

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
    # Question types the same way, from their own group (built-ins and plugins alike).
    types = load_question_types()
    app.extensions[QUESTION_TYPES] = types
    app.extensions["assessment_versions"] = VersionCache(
        Path(app.config["FORM_SCHEMAS_DIR"]), rules, types
    )

    from . import (
        admin,
        api,
        assessments,
        auth,
        bad_bytes,
        errors,
        notifications,
        records,
        reports,
        support,
        templating,
    )
    from .cli import register_commands

    bad_bytes.init_app(app)  # first of the request hooks: before anything reads the database
    auth.init_app(app)
    records.init_app(app)
    api.init_app(app)
    assessments.init_app(app)
    support.init_app(app)
    admin.init_app(app)
    notifications.init_app(app)
    reports.init_app(app)
    _register_report_job(app)
    errors.init_app(app)
    templating.init_app(app)
    register_commands(app)

    @app.before_request
    def _csp_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    return app


def _register_report_job(app: Flask) -> None:
    """The scheduled job folding each finished day into the outputs page's facts (here, since
    the scheduler and the reports sit side by side and the scheduler's jobs import the API,
    which imports the reports)."""
    from datetime import timedelta

    from .notifications.scheduler import Job, register_job
    from .reports import FOLD_JOB, FOLD_SECONDS
    from .reports.jobs import fold_report_facts

    every = (app.config.get("SCHEDULED_JOB_SECONDS") or {}).get(FOLD_JOB, FOLD_SECONDS)
    register_job(
        app,
        Job(
            FOLD_JOB,
            fold_report_facts,
            timedelta(seconds=float(every)),
            "fold each finished day into the outputs page's facts",
        ),
    )


def _configure_engine(engine: Any) -> None:
    """SQLite: enforce foreign keys, WAL, wait on locks, and real transactions with savepoints.
    PostgreSQL (psycopg): ready for pipelined statements (db.pipelined)."""
    from sqlalchemy import event

    if engine.dialect.driver == "psycopg":
        from .db import use_pipelines

        use_pipelines(engine)
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
        _writer_queue_enter(conn.connection.info)
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    if engine.url.database not in (None, "", ":memory:"):
        _queue_writers(engine, Path(engine.url.database).resolve())


def _queue_writers(engine: Any, database: Path) -> None:
    """Make SQLite writers queue on a file lock (``<database>.lock``) instead of polling.

    SQLite's own busy handler sleeps between retries, up to 100 ms at a time, so two processes
    that write all day take turns unfairly: under load some requests waited over a second (p99
    of the HTTP benchmark). ``flock`` waits in the kernel and wakes the next writer as soon as
    the lock is released, in turn. The lock is taken before ``BEGIN IMMEDIATE`` and released
    at commit or rollback; SQLite's lock stays the real guarantee.
    """
    import fcntl
    import os

    from sqlalchemy import event

    lock_path = str(database) + ".lock"

    @event.listens_for(engine, "connect")
    def _open_lock(_dbapi_connection: Any, record: Any) -> None:
        record.info["writer_lock"] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        record.info["writer_lock_held"] = False

    @event.listens_for(engine, "close")
    def _close_lock(_dbapi_connection: Any, record: Any) -> None:
        descriptor = record.info.pop("writer_lock", None)
        if descriptor is not None:
            os.close(descriptor)

    def leave(info: Any) -> None:
        if info.get("writer_lock_held"):
            fcntl.flock(info["writer_lock"], fcntl.LOCK_UN)
            info["writer_lock_held"] = False
            _WRITER.held = False

    @event.listens_for(engine, "commit")
    def _at_commit(conn: Any) -> None:
        leave(conn.connection.info)

    @event.listens_for(engine, "rollback")
    def _at_rollback(conn: Any) -> None:
        leave(conn.connection.info)

    # A connection returned to the pool mid-transaction is rolled back by the pool.
    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        leave(record.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        leave(record.info)


#: Whether this thread holds the writer lock through one of its connections. A thread that opens
#: a second transaction meanwhile would wait for itself for ever; it skips the queue instead and
#: is left to SQLite's busy timeout, as without the queue.
_WRITER = threading.local()


def _writer_queue_enter(info: Any) -> None:
    if "writer_lock" in info and not info.get("writer_lock_held") and not _held_here():
        import fcntl

        fcntl.flock(info["writer_lock"], fcntl.LOCK_EX)
        info["writer_lock_held"] = True
        _WRITER.held = True


def _held_here() -> bool:
    return bool(getattr(_WRITER, "held", False))
