"""Shared fixtures: one database built by the migrations per run, one SAVEPOINT per test.

Set ASSESSMENT_TEST_DATABASE_URL to run the suite on PostgreSQL (its database is emptied first,
so it must be a database used only for tests: its name must contain "test").
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from assessment_engine import create_app
from assessment_engine.extensions import db
from assessment_engine.warmup import rolled_back

from .factories import Factories

ROOT = Path(__file__).resolve().parent.parent
#: The conformance material the tests use, kept in the project (see its README).
CONFORMANCE = ROOT / "tests" / "data" / "conformance"
#: The shared copy beside the project, when named (CI does): checked to match CONFORMANCE.
SHARED_CONFORMANCE = (
    Path(os.environ["ASSESSMENT_CONFORMANCE_DIR"])
    if os.environ.get("ASSESSMENT_CONFORMANCE_DIR")
    else None
)


@pytest.fixture(scope="session", autouse=True)
def _password_hashing_done_once_per_password() -> Iterator[None]:
    """werkzeug's default hash (scrypt) costs about 0.13 s a call, and hundreds of tests create a
    user and sign in. Within one run, each password is hashed once (by werkzeug's default, so the
    stored hashes are real ones) and each (hash, password) pair is checked once: both functions are
    memoised, never replaced, so every sign-in still checks the password it is given."""
    import functools

    from werkzeug import security

    from assessment_engine.auth import models, services

    generate = functools.lru_cache(maxsize=None)(security.generate_password_hash)
    check = functools.lru_cache(maxsize=None)(security.check_password_hash)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models, "generate_password_hash", generate)
        patch.setattr(models, "check_password_hash", check)
        patch.setattr(services, "generate_password_hash", generate)
        patch.setattr(services, "check_password_hash", check)
        yield


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("ASSESSMENT_TEST_DATABASE_URL")
    return f"database: {make_url(url).render_as_string(hide_password=True) if url else 'SQLite'}"


def _prepare_database(url: str) -> None:
    """Empty a PostgreSQL test database (only one whose name says it is for tests)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    if "test" not in (parsed.database or ""):
        raise pytest.UsageError(
            f"Refusing to empty database {parsed.database!r}: not a test database"
        )
    engine = create_engine(parsed.set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("ASSESSMENT_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def app_config(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "RATELIMIT_ENABLED": True,
        # Hundreds of sign-ins in one run; the limits have tests of their own.
        "SIGN_IN_RATE_LIMIT": "1000 per minute",
        "SIGN_IN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "SECOND_FACTOR_RATE_LIMIT": "1000 per minute",
        "SERVER_NAME": None,
        "AUDIT_CHECKPOINT_KEY": "test-checkpoint-key-not-for-production",
        "AUDIT_CHECKPOINT_FILE": str(tmp_path_factory.mktemp("audit") / "checkpoints.jsonl"),
        # Each test's commits are SAVEPOINTs rolled back afterwards: a checkpoint filed at one
        # would sign events that then vanish. Checkpoint tests use a scratch_app.
        "AUDIT_CHECKPOINT_EVERY": 0,
        "AUDIT_CHECKPOINT_MINUTES": 0,
    }


@pytest.fixture(scope="session")
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """The application, with its database built by running the migrations once."""
    from flask_migrate import upgrade

    _prepare_database(app_config["DATABASE_URL"])
    application = create_app(app_config)
    with application.app_context():
        upgrade()
        seed_reference_data(application)
    yield application
    with application.app_context():
        db.engine.dispose()


def seed_reference_data(app: Flask) -> None:
    """What every deployment has: the partner organisations, their services and the bundled
    questionnaires. Committed once per run, under every test's SAVEPOINT."""
    from assessment_engine.demo import ORGANISATIONS
    from assessment_engine.partners.models import OrganisationKind
    from assessment_engine.partners.services import ensure_organisation, ensure_service
    from assessment_engine.questionnaires.services import load_directory

    schemas = Path(app.config["FORM_SCHEMAS_DIR"])
    orgs = {}
    for slug, name, kind, contact in ORGANISATIONS:
        orgs[slug], _ = ensure_organisation(
            db.session, slug=slug, name=name, kind=kind, contact=contact
        )
    for entry in json.loads((schemas / "services.json").read_text()):
        ensure_service(
            db.session,
            slug=entry["slug"],
            name=entry["name"],
            organisation=orgs[entry["organisation"]],
            kind=OrganisationKind(entry["kind"]),
            team_email=entry.get("team_email", ""),
            personal_care=bool(entry.get("personal_care", False)),
        )
    load_directory(db.session, schemas, app.extensions["assessment_rules"])
    db.session.commit()


def rolled_back_connection(app: Flask) -> AbstractContextManager[tuple[Connection, Session]]:
    """A session for the test's own code, and ``db.session`` for the app's requests, both on one
    connection inside an outer transaction that is rolled back at the end: the start-up
    warm-up's (``assessment_engine.warmup.rolled_back``), so the two cannot drift apart."""
    return rolled_back(app)


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """One test's session, rolled back after it (see :func:`rolled_back_connection`)."""
    with rolled_back_connection(app) as (_connection, session):
        yield session


@pytest.fixture
def scratch_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test, separate from the suite's own and dropped
    afterwards: for tests that need committed data and real concurrent connections."""
    url = os.environ.get("ASSESSMENT_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path}/scratch.db"
        return
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{base.database}_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def scratch_app(scratch_database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``scratch_app(seed=True, **config)``: an app on the scratch database, built by the
    migrations and (with ``seed``) holding the reference data."""
    from flask_migrate import upgrade

    made: list[Flask] = []

    def build(seed: bool = True, **config: Any) -> Flask:
        application = create_app(
            {
                "ENV": "testing",
                "DATABASE_URL": scratch_database_url,
                "SECRET_KEY": "k" * 32,
                "AUDIT_CHECKPOINT_KEY": "c" * 32,
                "AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
                **config,
            }
        )
        with application.app_context():
            upgrade()
            if seed:
                seed_reference_data(application)
        made.append(application)
        return application

    yield build
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


class Client(FlaskClient):
    """A test client that adds a valid CSRF token to form posts, as a browser's page would."""

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = os.urandom(20).hex()
            raw = session["csrf_token"]
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return str(serializer.dumps(raw))

    def post_form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        form = dict(data or {})
        form.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=form, **kwargs)


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def factories(app: Flask, db_session: Any) -> Factories:
    return Factories(db_session, app)


@pytest.fixture
def login_as(client: Client, factories: Factories) -> Callable[..., Any]:
    """Sign in through the real sign-in page as a new user of ``role`` in ``org`` (a slug)."""

    def sign_in(role: str = "assessor", org: str = "perth-kinross-council", **kwargs: Any) -> Any:
        user = factories.user(role=role, org=org, **kwargs)
        sign_in_with_code(client, factories, user)
        return user

    return sign_in


def sign_in_with_code(
    client: Any, factories: Factories, user: Any, password: str | None = None, **form: Any
) -> Any:
    """Sign ``user`` in through the real pages: the password, then (where they have set up an
    authenticator app) a fresh code from it. Returns the last response (a redirect)."""
    response = client.post_form(
        "/sign-in", {"email": user.email, "password": password or factories.PASSWORD, **form}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"].startswith("/sign-in/code"):
        response = client.post_form("/sign-in/code", {"code": factories.code(user)})
        assert response.status_code == 302, response.get_data(as_text=True)
    return response


def find_csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)
