"""Warm the hot paths once at start-up, before gunicorn forks its workers (gunicorn.conf.py).

A fresh worker's first request used to pay for everything done once per process: SQLAlchemy's
first compile of each statement (its compiled cache belongs to the engine and survives
``engine.dispose()``, so workers forked afterwards inherit it), the first use of lazily imported
code, each Jinja template's compile (kept in the environment's cache) and the first call of
every code path's helpers. :func:`warm_up` pays for them in the master: for each questionnaire's
latest published version it sends one real API submission (its first test case's answers,
``status: submitted``, with an ``Idempotency-Key``) and opens one section page of a draft as a
signed-in assessor, through the test client, against the deployment's database, and then loads
every template.

Nothing of it remains: every statement runs on one connection inside an outer transaction that
is rolled back at the end (the requests' commits are SAVEPOINTs within it), so no row is left
behind (no person, account, token, assessment, audit event, outbox message or idempotency key),
the audit chains are as they were, no checkpoint is filed (the one it signs, to compile its
statements, goes with the rollback: checkpoints are kept off the file while it runs, as one
filed at a SAVEPOINT's commit would sign events that then vanish), and the rate limiter's
counts are cleared afterwards. A failure is logged and start-up goes on: the
first requests then pay as before.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection, Dialect, Engine
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclasses.dataclass
class WarmUp:
    """What :func:`warm_up` did: requests sent (with their statuses), templates loaded."""

    statuses: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    templates: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        counts: dict[tuple[str, int], int] = {}
        for sent_one in self.statuses:
            counts[sent_one] = counts.get(sent_one, 0) + 1
        sent = ", ".join(f"{n} x {what} {status}" for (what, status), n in counts.items())
        return f"{sent or 'no request'}; {self.templates} templates loaded in {self.seconds:.2f} s"


def warm_up(app: Flask) -> WarmUp:
    """Run the hot paths once against the database, leaving it exactly as it was."""
    from sqlalchemy.exc import SQLAlchemyError

    from .extensions import limiter

    done = WarmUp()
    started = time.perf_counter()
    # The requests' counts go to the limiter's storage: in process memory they are cleared
    # afterwards; a shared store (other processes' counts) is left alone, unused meanwhile.
    in_memory = str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://")
    enabled = limiter.enabled
    limiter.enabled = enabled and in_memory
    try:
        with rolled_back(app) as (_connection, session), _no_checkpoints(app):
            with app.app_context():
                targets = _targets(app, session)
            _requests(app, targets, done)
            with app.app_context():
                _sign_checkpoint(app, session)
    except (SQLAlchemyError, LookupError, ValueError, AssertionError) as error:
        log.warning("start-up warm-up stopped: %s", type(error).__name__)
    finally:
        limiter.enabled = enabled
        if in_memory:
            _clear_memory(limiter.storage)
        _forget_not_due(app)
    done.templates = load_templates(app)
    done.seconds = time.perf_counter() - started
    return done


def _sign_checkpoint(app: Flask, session: Session) -> None:
    """Sign one checkpoint in the rolled-back transaction (filed nowhere), whether or not one
    fell due during the requests: otherwise the first commit after start that finds one due
    (every ``AUDIT_CHECKPOINT_EVERY`` events, so often the first after a restart) compiles the
    statements that read every chain's head: 40 ms of a fresh worker's first request under the
    profiler, the largest part of it."""
    from .records.checkpoints import events_since, lock_checkpoints, write_checkpoint

    policy = app.extensions.get("audit_checkpoints")
    # wait=False: a live server beside this one (a rolling restart) writing one is not waited for.
    if policy is not None and policy.automatic and lock_checkpoints(session, wait=False):
        write_checkpoint(session, policy)
        events_since(session, 0, 0, most=1)  # compiled too: a count comes after an id gap


def checkpoint_if_due_at_start(app: Flask) -> int | None:
    """Sign, for real and before the port opens, a checkpoint of the events appended since the
    last one: the number it was given, or None (none appended, checkpoints off, or another
    server starting beside this one holds the checkpoints' lock and signs instead).

    A server that was stopped for longer than ``AUDIT_CHECKPOINT_MINUTES`` would otherwise
    have its first commit find one due by time and sign it in that request (two reads of every
    chain's head, the insert and the checkpoint file's fsync). (The warm-up's rolled-back
    submissions take some 50 ids from the database's sequence for good; checkpoints count
    events, not ids, so that gap does not make one due: records.checkpoints._still_to_append.)
    With no event since the last checkpoint nothing is signed."""
    from sqlalchemy import func, select

    from .extensions import db
    from .kernel.models import AuditEvent
    from .records.checkpoints import latest_checkpoint, lock_checkpoints, write_checkpoint

    policy = app.extensions.get("audit_checkpoints")
    if policy is None or not policy.automatic:
        return None
    with app.app_context():
        session = db.session
        try:
            appended = session.scalar(select(func.max(AuditEvent.id)))
            previous = latest_checkpoint(session)
            if not appended or (previous is not None and previous.head_event_id >= appended):
                return None
            if not lock_checkpoints(session, wait=False):
                return None
            latest = latest_checkpoint(session)  # under the lock: one just written?
            if latest is not None and latest.head_event_id >= appended:
                return None
            signed = write_checkpoint(session, policy)
            session.commit()  # files it
        finally:
            db.session.remove()
    return signed.id


def _forget_not_due(app: Flask) -> None:
    """The process's note of when the next checkpoint is due may rest on a checkpoint the
    rollback removed: the workers forked from this process start without one."""
    policy = app.extensions.get("audit_checkpoints")
    if policy is not None:
        policy.not_due.value = None


def connect_warm(engine: Engine, metadata: MetaData) -> None:
    """Open a worker's first database connection (its pool keeps it) and, on PostgreSQL, plan a
    read of every table on it, in one round trip that returns nothing: a new server process
    reads each table's and index's catalogue entries on first use, which otherwise the
    worker's first request waits for."""
    reads = catalogue_reads(metadata, engine.dialect)
    with engine.connect() as connection:
        if reads:
            connection.exec_driver_sql(reads)
        connection.rollback()


@functools.lru_cache(maxsize=4)
def catalogue_reads(metadata: MetaData, dialect: Dialect) -> str | None:
    """The statement :func:`connect_warm` sends (None: not PostgreSQL), built once per process:
    gunicorn.conf.py builds it in the master, so a worker does not walk every table, column
    and foreign key (sorting the tables) as it starts, dirtying the pages they are on."""
    if dialect.name != "postgresql":
        return None
    quote = dialect.identifier_preparer.format_table
    # Names from the metadata, quoted by the dialect; nothing from outside.
    return "; ".join(
        f"SELECT * FROM {quote(table)} LIMIT 0"  # noqa: S608
        for table in metadata.sorted_tables
    )


def _compiled_cache(app: Flask) -> Any:
    from .extensions import db

    with app.app_context():
        return getattr(db.engine, "_compiled_cache", None)


def _clear_memory(storage: Any) -> None:
    """Empty the in-memory limiter storage, once its expiry timer (a thread that sweeps
    expired counts, up to a second after a count) is stopped: no thread of it may be running
    when the master forks. Its sweep is not needed: the counts are all reset."""
    timer = getattr(storage, "timer", None)
    if timer is not None and timer.is_alive():
        timer.cancel()
        timer.join(5)
    storage.reset()


def load_templates(app: Flask) -> int:
    """Compile every template the application can render into its Jinja cache; how many."""
    from jinja2 import TemplateError

    env = app.jinja_env
    names = [name for name in env.list_templates() if name.endswith(".html")]
    capacity = getattr(env.cache, "capacity", None)
    if capacity is not None and capacity < len(names) + 100:
        return 0  # a cache too small to hold them would only churn
    loaded = 0
    for name in names:
        try:
            env.get_template(name)
        except TemplateError:  # a fragment that only compiles inside another
            continue
        loaded += 1
    return loaded


@contextmanager
def rolled_back(app: Flask) -> Iterator[tuple[Connection, Session]]:
    """A session for the caller's own code, and ``db.session`` for the app's requests, both on
    one connection inside an outer transaction that is rolled back at the end (the test suite's
    fixtures use it too).

    Both use SAVEPOINTs, so a request's commit or rollback is only that request's. No app
    context is held meanwhile, so each request gets a fresh session, as when served.
    """
    from flask_sqlalchemy.session import _app_ctx_id
    from sqlalchemy.orm import Session, scoped_session, sessionmaker

    from .extensions import db

    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    original = db.session
    factory: Any = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.session = scoped_session(factory, scopefunc=_app_ctx_id)
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield connection, session
    finally:
        session.close()
        with app.app_context():
            db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


class _Unfiled:
    """A checkpoint file that files nothing (the warm-up's checkpoints, if one falls due, are
    signed into the rolled-back transaction only); numbered after the real file's last."""

    def __init__(self, real: Any) -> None:
        self.path = real.path
        self.last_number = real.last_number

    def append(self, _checkpoints: Any) -> None:
        return None


@contextmanager
def _no_checkpoints(app: Flask) -> Iterator[None]:
    key = "audit_checkpoints"
    policy = app.extensions.get(key)
    if policy is not None:
        app.extensions[key] = dataclasses.replace(policy, file=_Unfiled(policy.file))
    try:
        yield
    finally:
        if policy is not None:
            app.extensions[key] = policy


@dataclasses.dataclass(frozen=True)
class _Target:
    slug: str
    cases: list[dict[str, Any]]
    client_id: str
    token: str
    section_url: str
    email: str
    password: str


def _targets(app: Flask, session: Session) -> list[_Target]:
    """For each questionnaire's latest published version with a test case: a person, an API
    client, an assessor and a draft, committed (to a SAVEPOINT) on the rolled-back connection."""
    from sqlalchemy import select

    from .api.tokens import create_api_client
    from .assessments.services import start_assessment
    from .auth.models import Role
    from .auth.services import create_user
    from .kernel.actor import Actor
    from .partners.models import Organisation
    from .questionnaires.models import Questionnaire
    from .questionnaires.services import latest_published

    organisation = session.scalars(select(Organisation).order_by(Organisation.id).limit(1)).first()
    if organisation is None:
        return []
    password = secrets.token_urlsafe(24)
    email = f"warm-up-{secrets.token_hex(8)}@warm-up.invalid"
    user = create_user(
        session,
        email=email,
        name="Start-up warm-up",
        password=password,
        organisation=organisation,
        role=Role.ASSESSOR,
    )
    actor = Actor.for_user(user)
    token = create_api_client(session, organisation, "Start-up warm-up").token
    person = _person(session, actor)
    targets = []
    for slug in session.scalars(select(Questionnaire.key).order_by(Questionnaire.key)):
        version = latest_published(session, slug)
        cases = _cases(version.test_cases if version is not None else None)
        if version is None or not cases:
            continue
        draft = start_assessment(session, actor, person, version, cases[0])
        section = next(iter(version.document.get("properties") or {}), None)
        if section is None:
            continue
        targets.append(
            _Target(
                slug=slug,
                cases=cases,
                client_id=str(person.id),
                token=token,
                section_url=f"/assessments/{draft.id}/sections/{section}",
                email=email,
                password=password,
            )
        )
    session.commit()
    return targets


def _person(session: Session, actor: Any) -> Any:
    from .demo import demo_chi
    from .records import services as records

    for day in range(366):
        born = date(1900, 1, 1) + timedelta(days=day)
        chi = demo_chi(born, 7, True)
        if records.find_by_chi(session, chi) is None:
            break
    details = records.ClientDetails(
        chi=chi, given_name="Warm", family_name="Up", date_of_birth=born
    )
    return records.create_client(session, actor, details)


def _cases(cases: Any) -> list[dict[str, Any]]:
    """The test cases' answers, one of each kind (priority and number of referrals) first, and
    within that those that reach most first: the most referrals, critical first (an urgent
    referral also queues its notification). So the few sent before one compiles nothing new
    (see QUIET_CASES) cover the statements the others would."""
    if isinstance(cases, dict):
        cases = cases.get("cases")
    usable = [
        case
        for case in cases or []
        if isinstance(case, dict) and isinstance(case.get("given"), dict)
    ]

    def expected(case: dict[str, Any]) -> tuple[Any, int]:
        expect = case.get("expect")
        if not isinstance(expect, dict):
            return None, 0
        services = expect.get("services")
        return expect.get("priority"), len(services) if isinstance(services, list) else 0

    def reach(case: dict[str, Any]) -> tuple[bool, int]:
        priority, count = expected(case)
        return priority == "critical", count

    kinds: set[tuple[Any, int]] = set()
    first: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for case in sorted(usable, key=reach, reverse=True):
        kind = expected(case)
        (rest if kind in kinds else first).append(case)
        kinds.add(kind)
    return [dict(case["given"]) for case in first + rest]


#: A version's cases are submitted until one compiled no new SQL statement (the engine's
#: compiled cache did not grow), at most MOST_CASES of them. No more: each is a submission
#: that start-up waits for, and its audit events take ids from the database's sequence that
#: the rollback does not give back.
QUIET_CASES = 1
MOST_CASES = 12


def _requests(app: Flask, targets: list[_Target], done: WarmUp) -> None:
    """Each target's submission, as a partner system sends it, then its section page as a
    browser signed in once asks for it."""
    import json

    if not targets:
        return
    base = f"https://{app.config.get('SERVER_NAME') or 'localhost'}"
    api = app.test_client()
    compiled = _compiled_cache(app)
    for target in targets:
        quiet = 0
        for answers in target.cases[:MOST_CASES]:
            known = len(compiled) if compiled is not None else 0
            response = api.post(
                "/api/v1/assessments",
                base_url=base,
                data=json.dumps(
                    {
                        "client_id": target.client_id,
                        "questionnaire": target.slug,
                        "status": "submitted",
                        "answers": answers,
                    }
                ),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {target.token}",
                    "Idempotency-Key": secrets.token_hex(16),
                },
            )
            done.statuses.append((f"POST {target.slug}", response.status_code))
            quiet = quiet + 1 if compiled is None or len(compiled) == known else 0
            if quiet >= QUIET_CASES:
                break
    browser = app.test_client()
    page = browser.get("/sign-in", base_url=base)
    token = _CSRF.search(page.get_data(as_text=True))
    done.statuses.append(("GET /sign-in", page.status_code))
    if token is None:
        return
    signed_in = browser.post(
        "/sign-in",
        base_url=base,
        data={
            "email": targets[0].email,
            "password": targets[0].password,
            "csrf_token": token.group(1),
        },
        headers={"Referer": f"{base}/sign-in"},  # as a browser sends it (CSRF over HTTPS)
    )
    done.statuses.append(("POST /sign-in", signed_in.status_code))
    for target in targets:
        section = browser.get(target.section_url, base_url=base)
        done.statuses.append((f"GET {target.slug} section", section.status_code))
