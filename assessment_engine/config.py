"""Configuration: defaults, then ``ASSESSMENT_*`` environment variables, then overrides.

Nothing here is read at import time; :func:`load_config` is called by the app factory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

#: Environment names; anything but ``development`` and ``testing`` is treated as production.
LOCAL_ENVIRONMENTS = frozenset({"development", "testing"})

DEFAULTS: dict[str, Any] = {
    # "development" is the safe local default; deployments set ASSESSMENT_ENV=production.
    "ENV": "development",
    "SERVICE_NAME": "Shared Assessment",
    "DATABASE_URL": None,  # default: SQLite in the instance folder
    "SECRET_KEY": None,  # default (local only): a random key kept in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLALCHEMY_RECORD_QUERIES": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "assessment_session",
    # Signed-in sessions end after this many minutes without a request.
    "SESSION_IDLE_MINUTES": 60,
    # ... and in any case after this many hours.
    "SESSION_ABSOLUTE_HOURS": 12,
    "REMEMBER_COOKIE_DURATION": 0,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session it belongs to
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "SIGN_IN_RATE_LIMIT": "10 per minute",
    #: Searches for people, per signed-in user: enough for a busy shift, not for a trawl.
    "SEARCH_RATE_LIMIT": "30 per minute",
    #: Requests per API client (or per address without a valid token).
    "API_RATE_LIMIT": "300 per minute",
    "FORM_SCHEMAS_DIR": None,  # default: form_schemas/ beside the package
    "LOG_LEVEL": "INFO",
}


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration cannot be used safely."""


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, the environment and ``overrides``, in that order."""
    app.config.update(DEFAULTS)
    # Flask parses each ASSESSMENT_X value as JSON where it can (numbers, booleans, objects).
    app.config.from_prefixed_env("ASSESSMENT")
    if overrides:
        app.config.update(overrides)

    env = str(app.config["ENV"]).lower()
    app.config["ENV"] = env
    local = env in LOCAL_ENVIRONMENTS
    app.config["TESTING"] = app.config.get("TESTING", False) or env == "testing"

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = app.config.get("DATABASE_URL")
        if not url:
            if not local:
                raise ConfigurationError(
                    "ASSESSMENT_DATABASE_URL must be set outside local development "
                    "(for example postgresql+psycopg://user@host/dbname)."
                )
            url = "sqlite:///" + str(Path(app.instance_path) / "assessment.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)

    if not app.config.get("SECRET_KEY"):
        if not local:
            raise ConfigurationError("ASSESSMENT_SECRET_KEY must be set outside local development.")
        app.config["SECRET_KEY"] = _local_secret_key(Path(app.instance_path))

    # Cookies are Secure everywhere but on a developer's own machine, unless set explicitly.
    if "SESSION_COOKIE_SECURE" not in (overrides or {}) and not _env_set("SESSION_COOKIE_SECURE"):
        app.config["SESSION_COOKIE_SECURE"] = not local
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True

    if not app.config.get("FORM_SCHEMAS_DIR"):
        app.config["FORM_SCHEMAS_DIR"] = str(Path(app.root_path).parent / "form_schemas")
    if not (Path(app.config["FORM_SCHEMAS_DIR"]) / "_meta" / "extensions.json").is_file():
        raise ConfigurationError(
            f"No questionnaire definitions at {app.config['FORM_SCHEMAS_DIR']}: set "
            "ASSESSMENT_FORM_SCHEMAS_DIR to the form_schemas/ folder of this release."
        )


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` and ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env_set(name: str) -> bool:
    return f"ASSESSMENT_{name}" in os.environ


def _local_secret_key(instance: Path) -> str:
    """A random key kept in the instance folder, so local sessions survive a restart."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
