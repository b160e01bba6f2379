"""One way to run scheduled work: jobs registered on the application, run by
``flask run-scheduled`` (a loop, or ``--once`` from cron or a systemd timer).

Each job runs under a lock of its own, so any number of runners (one per app server) can run
side by side: on PostgreSQL a session advisory lock taken with ``pg_try_advisory_lock`` on a
connection of its own; on SQLite a ``flock`` beside the database file. A runner that cannot
take a job's lock skips the job (another runner has it). When each job last ran, and how it
went, is kept in ``scheduled_runs``, shared by every runner, so a job runs once per interval
however many runners there are; each run's outcome is also logged
(``assessment_engine.scheduled``).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..db import utcnow
from ..extensions import db
from .models import ScheduledRun

logger = logging.getLogger("assessment_engine.scheduled")
_KEY = "scheduled_jobs"


@dataclass(frozen=True)
class Job:
    """A piece of scheduled work: ``run(app)`` does it (in an app context, committing its own
    work) and says in a line what it did."""

    name: str
    run: Callable[[Flask], str]
    every: timedelta
    description: str = ""


class JobFailed(Exception):
    """Raised by a job that did (and committed) its work but must report its run as not ok,
    like a delivery in which a notification failed for good: the text is the run's outcome."""


@dataclass(frozen=True)
class RunResult:
    job: str
    #: "ran", "not due" or "locked" (another runner was running it).
    status: str
    ok: bool = True
    outcome: str = ""
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.status != "ran":
            return f"{self.job}: {self.status}"
        said = "ok" if self.ok else "FAILED"
        return f"{self.job}: {said} in {self.seconds:.2f}s: {self.outcome}"


def register_job(app: Flask, job: Job) -> None:
    """Add a job (from a domain's ``init_app``); a name registered twice is refused."""
    found: dict[str, Job] = app.extensions.setdefault(_KEY, {})
    if job.name in found:
        raise ValueError(f"the scheduled job {job.name!r} is registered twice")
    found[job.name] = job


def jobs(app: Flask) -> dict[str, Job]:
    found: dict[str, Job] = app.extensions.get(_KEY, {})
    return found


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key of the job's own."""
    digest = hashlib.sha256(f"assessment_engine.scheduled:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Try to take the job's lock without waiting; yields whether it was taken."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = _lock_key(name)
            taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
            connection.commit()
            try:
                yield taken
            finally:
                if taken:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    connection.commit()
        return
    database = engine.url.database or ""
    folder = Path(database).resolve().parent if database not in ("", ":memory:") else None
    if folder is None:
        yield True  # an in-memory database has one process by definition
        return
    handle = os.open(
        str(folder / f"{Path(database).name}.job-{name}.lock"), os.O_RDWR | os.O_CREAT, 0o600
    )
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _describe(error: Exception) -> str:
    """A failure in words fit for a log: a database error's text can carry SQL parameters."""
    if isinstance(error, SQLAlchemyError):
        return f"{type(error).__name__} (database error; see the database's log)"
    return f"{type(error).__name__}: {error}"[:300]


def run_job(app: Flask, job: Job, *, force: bool = False, now: datetime | None = None) -> RunResult:
    """Run ``job`` if its interval has passed since its last run by any runner (or ``force``),
    under its lock; record and log the outcome. A job's failure is caught, logged and recorded:
    the other jobs still run."""
    session = db.session
    with job_lock(db.engine, job.name) as taken:
        if not taken:
            logger.info("%s: skipped, another runner holds its lock", job.name)
            return RunResult(job.name, "locked")
        started = now or utcnow()
        last = session.get(ScheduledRun, job.name)
        if not force and last is not None and started - last.started_at < job.every:
            session.rollback()
            return RunResult(job.name, "not due")
        if last is None:
            last = ScheduledRun(job=job.name)
            session.add(last)
        last.started_at, last.finished_at = started, None
        session.commit()
        clock = time.perf_counter()
        try:
            outcome, ok = job.run(app), True
        except JobFailed as failed:
            session.rollback()
            outcome, ok = str(failed), False
        except Exception as error:  # one job's failure must not stop the others
            session.rollback()
            outcome, ok = f"failed: {_describe(error)}", False
        seconds = time.perf_counter() - clock
        row = session.get(ScheduledRun, job.name)
        assert row is not None
        row.finished_at, row.ok, row.outcome = utcnow(), ok, outcome
        session.commit()
    result = RunResult(job.name, "ran", ok, outcome, seconds)
    (logger.info if ok else logger.error)("%s", result)
    return result


def run_due(app: Flask, names: Iterable[str] = (), *, force: bool = False) -> list[RunResult]:
    """Every registered job (or those named) that is due, in the order registered."""
    registered = jobs(app)
    wanted = list(names) or list(registered)
    unknown = [name for name in wanted if name not in registered]
    if unknown:
        raise KeyError(", ".join(unknown))
    results = []
    for name in wanted:
        results.append(run_job(app, registered[name], force=force))
        db.session.remove()
    return results


def run_forever(
    app: Flask,
    interval: float,
    stop: threading.Event,
    report: Callable[[RunResult], None] = lambda _result: None,
    names: Iterable[str] = (),
) -> None:
    """Run the due jobs (all, or those named) every ``interval`` seconds until ``stop`` is
    set."""
    wanted = tuple(names)
    while not stop.is_set():
        try:
            for result in run_due(app, wanted):
                if result.status == "ran":
                    report(result)
        except SQLAlchemyError as error:  # the database is away: try again next time
            logger.error("scheduled run: %s", _describe(error))
            db.session.remove()
        stop.wait(interval)
