"""gunicorn's settings for the application, read from the working directory (``gunicorn
wsgi:app`` started in the project's folder; elsewhere: ``--config path/to/gunicorn.conf.py``).

No cold start: the application is loaded once in the master (``preload_app``), which compiles
every published questionnaire version before it opens its port; the workers forked from it
share the compiled versions, and each opens its own database connections (the master's pool is
disposed of before forking). Command-line options still win over these.

The first request of a fresh worker used to take 3-9 times a warm one, and the profile put
most of it in the garbage collector: the worker's first full collection walked every object
the master had made (the compiled questionnaires above all). So the master also works out each
column type's form for the database (SQLAlchemy does it on first use, per process) and then
freezes its objects (``gc.freeze()``, as Python's documentation advises before forking: the
collector leaves them alone, and the workers' copies stay shared), and each worker opens its
first database connection as it starts, not in its first request.

What was left of a first request (SQLAlchemy's first compile of each statement, lazily imported
code, each template's compile, PostgreSQL reading its catalogue in a new connection) is paid
before the port opens too: the master runs ``assessment_engine.warmup.warm_up`` (real
submissions and section pages through the test client, inside a transaction rolled back, so
the database, the audit chains and the checkpoint file stay as they were; the compiled
statements live in the engine and survive its disposal), and each worker has PostgreSQL plan a
read of every table as it connects (``warmup.connect_warm``). Start-up takes some seconds more.

At start the master also signs (for real) a checkpoint of the events appended since the last
one (``warmup.checkpoint_if_due_at_start``), which the first commit after a long stop would
otherwise find due by time and sign in its request.
"""

from __future__ import annotations

import gc
from typing import Any

preload_app = True


def _assessment_app(server: Any) -> Any:
    """The preloaded application, if it is this project's (other apps served from this folder,
    like the benchmarks' reference apps, are left alone)."""
    app = server.app.wsgi()
    return app if "assessment_versions" in getattr(app, "extensions", {}) else None


def on_starting(server: Any) -> None:
    app = _assessment_app(server)
    if app is None:
        return
    from sqlalchemy.exc import SQLAlchemyError

    from assessment_engine.db import adapt_column_types
    from assessment_engine.extensions import db
    from assessment_engine.questionnaires.services import prepare_published
    from assessment_engine.warmup import catalogue_reads, checkpoint_if_due_at_start, warm_up

    compiled = False
    with app.app_context():
        try:
            count = prepare_published(db.session, app.extensions["assessment_versions"])
            server.log.info("compiled %d published questionnaire versions", count)
            compiled = True
        except SQLAlchemyError as error:  # no tables yet: the first requests compile instead
            server.log.warning("questionnaires not compiled at start-up: %s", type(error).__name__)
        finally:
            db.session.remove()
    if compiled:  # outside the app context: each warm-up request has its own, as when served
        server.log.info("warmed up: %s", warm_up(app))
        try:
            number = checkpoint_if_due_at_start(app)
        except (SQLAlchemyError, OSError) as error:  # the first commit that finds it due signs it
            server.log.warning(
                "the start-up checkpoint failed (audit-verify tells whether it was filed): %s",
                type(error).__name__,
            )
        else:
            if number is not None:
                server.log.info("signed checkpoint %d, due at start-up", number)
    with app.app_context():
        db.engine.dispose()
        adapt_column_types(db.metadata, db.engine.dialect)
        catalogue_reads(db.metadata, db.engine.dialect)  # what each worker sends as it connects
    gc.collect()  # the start-up's garbage, not frozen with the rest
    gc.freeze()


def post_fork(server: Any, _worker: Any) -> None:
    """Each worker connects to the database as it starts (its pool keeps the connection), and
    has the database read its tables' catalogue entries (see warmup.connect_warm)."""
    app = _assessment_app(server)
    if app is None:
        return
    from sqlalchemy.exc import SQLAlchemyError

    from assessment_engine.extensions import db
    from assessment_engine.warmup import connect_warm

    with app.app_context():
        try:
            connect_warm(db.engine, db.metadata)
        except SQLAlchemyError as error:  # the first request connects (and reports) instead
            server.log.warning("no database connection at worker start: %s", type(error).__name__)
