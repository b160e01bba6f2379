"""Configuration: defaults, then ``ASSESSMENT_*`` environment variables, then overrides.

Nothing here is read at import time; :func:`load_config` is called by the app factory.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
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
    # hide_parameters: a database error's message (and so the error log) never holds the
    # statement's parameters: names, CHI numbers, dates of birth, answers.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "SQLALCHEMY_RECORD_QUERIES": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "assessment_session",
    # Signed-in sessions end after this many minutes without a request.
    "SESSION_IDLE_MINUTES": 60,
    # ... and in any case after this many hours.
    "SESSION_ABSOLUTE_HOURS": 12,
    # The signed cookie is written when the session changes (signing in, a message, the CSRF
    # token), not signed again for every response: its lifetime is the absolute limit, and the
    # idle and absolute limits are the server's (auth.services), so re-setting it changed nothing.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "REMEMBER_COOKIE_DURATION": 0,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session it belongs to
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    #: Where limits are counted. memory:// counts per process; with more than one process or
    #: machine, set a shared store (redis://host:6379/0) so that a limit means what it says.
    "RATELIMIT_STORAGE_URI": "memory://",
    #: If the shared store cannot be reached, count in memory meanwhile rather than refuse.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    #: Sign-in attempts counted per (email typed, client address): one person mistyping, or one
    #: attacker trying one account, backs off without touching anyone else.
    "SIGN_IN_RATE_LIMIT": "10 per minute",
    #: ... and per email typed from all addresses together: the ceiling for one account.
    "SIGN_IN_ACCOUNT_RATE_LIMIT": "30 per hour",
    #: Second-factor codes tried per signing-in user (6 digits: a guess is 1 in a million).
    "SECOND_FACTOR_RATE_LIMIT": "5 per minute;20 per hour",
    #: Roles that must use a second factor (an authenticator app); others may choose to.
    "SECOND_FACTOR_ROLES": ["administrator", "team_manager", "performance_analyst"],
    #: Fernet keys (comma-separated, the first encrypts) for TOTP secrets. Default (local only):
    #: a key kept in the instance folder. Required outside local development.
    "TOTP_ENCRYPTION_KEY": None,
    #: Issuer shown in authenticator apps beside the account.
    "TOTP_ISSUER": None,  # default: SERVICE_NAME
    #: How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host; 0 trusts
    #: none (the address is the TCP peer's). Set it to the number of proxies you run, no more.
    "TRUSTED_PROXY_COUNT": 0,
    #: Searches for people, per signed-in user: enough for a busy shift, not for a trawl.
    "SEARCH_RATE_LIMIT": "30 per minute",
    #: Requests per API client (or per address without a valid token).
    "API_RATE_LIMIT": "300 per minute",
    "FORM_SCHEMAS_DIR": None,  # default: form_schemas/ beside the package
    "LOG_LEVEL": "INFO",
    #: Idempotency keys and the responses stored with them are purged after this many hours
    #: (``flask purge-idempotency-keys``, run from a timer).
    "IDEMPOTENCY_RETENTION_HOURS": 24,
    # Audit checkpoints (records/checkpoints.py): the signing key, or a file holding it (first
    # line; later lines are retired keys still accepted when verifying), never the database.
    "AUDIT_CHECKPOINT_KEY": None,  # default (local only): a random key kept in the instance folder
    "AUDIT_CHECKPOINT_KEY_FILE": None,
    "AUDIT_CHECKPOINT_RETIRED_KEYS": [],
    "AUDIT_CHECKPOINT_FILE": None,  # default: instance/audit_checkpoints.jsonl
    "AUDIT_CHECKPOINT_EVERY": 100,  # events; 0 turns the count off
    "AUDIT_CHECKPOINT_MINUTES": 5,  # since the last checkpoint; 0 turns the time off
    #: How many chains the audit trail is split into, each with its own lock (kernel/audit.py):
    #: audited requests about people in different chains never wait for each other. Changing
    #: it moves no event; every chain ever used is verified and checkpointed.
    "AUDIT_CHAIN_PARTITIONS": 16,
    # Notifications (notifications/): "file" writes each message to MAIL_DIR (the default
    # locally), "smtp" sends it through SMTP_HOST (the default elsewhere).
    "MAIL_BACKEND": None,
    "MAIL_DIR": None,  # default: instance/mail
    "MAIL_FROM": "no-reply@shared-assessment.invalid",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT_SECONDS": 10,
    #: The address messages link to for signing in (the service's public address).
    #: Where the sign-in link in a notification points; required outside local development.
    "NOTIFICATIONS_BASE_URL": "",
    #: A message is tried this many times, waiting OUTBOX_RETRY_SECONDS after the first failure
    #: and twice as long after each next one (at most an hour), then marked failed.
    "OUTBOX_MAX_ATTEMPTS": 10,
    "OUTBOX_RETRY_SECONDS": 60,
    #: Each team's daily digest is queued from this hour (UK time).
    "DIGEST_HOUR": 7,
    #: ``flask run-scheduled``: seconds between its rounds, and any job's own interval.
    "SCHEDULED_LOOP_SECONDS": 15,
    "SCHEDULED_JOB_SECONDS": {},
    # Reports (reports/): counts below this are shown as "<N" in the partnership view, as
    # official statistics suppress them, so that no count reveals a person (0: none hidden).
    "REPORTS_SUPPRESS_BELOW": 5,
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

    # Kept even when the options are configured: parameters never reach the log.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "hide_parameters": True,
    }

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

    if not app.config.get("TOTP_ENCRYPTION_KEY"):
        if not local:
            raise ConfigurationError(
                "ASSESSMENT_TOTP_ENCRYPTION_KEY must be set outside local development (a Fernet "
                "key: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            )
        app.config["TOTP_ENCRYPTION_KEY"] = _local_totp_key(Path(app.instance_path))
    app.config["TOTP_ISSUER"] = app.config.get("TOTP_ISSUER") or app.config["SERVICE_NAME"]
    try:
        app.config["TRUSTED_PROXY_COUNT"] = int(app.config["TRUSTED_PROXY_COUNT"])
    except (TypeError, ValueError):
        raise ConfigurationError("ASSESSMENT_TRUSTED_PROXY_COUNT must be a whole number.") from None
    if app.config["TRUSTED_PROXY_COUNT"] < 0:
        raise ConfigurationError("ASSESSMENT_TRUSTED_PROXY_COUNT must be 0 or more.")
    try:
        app.config["AUDIT_CHAIN_PARTITIONS"] = int(app.config["AUDIT_CHAIN_PARTITIONS"])
    except (TypeError, ValueError):
        raise ConfigurationError(
            "ASSESSMENT_AUDIT_CHAIN_PARTITIONS must be a whole number."
        ) from None
    if not 1 <= app.config["AUDIT_CHAIN_PARTITIONS"] <= 1024:
        raise ConfigurationError("ASSESSMENT_AUDIT_CHAIN_PARTITIONS must be from 1 to 1024.")

    if not local and str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        logging.getLogger(__name__).warning(
            "Sign-in limits are counted in memory, separately by each process: set "
            "ASSESSMENT_RATELIMIT_STORAGE_URI to a shared store (redis://...) when running more "
            "than one."
        )

    # Cookies are Secure everywhere but on a developer's own machine, unless set explicitly.
    if "SESSION_COOKIE_SECURE" not in (overrides or {}) and not _env_set("SESSION_COOKIE_SECURE"):
        app.config["SESSION_COOKIE_SECURE"] = not local
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True

    _checkpoint_key(app, local)
    _notifications(app, local)

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


def _notifications(app: Flask, local: bool) -> None:
    """The sign-in link's address is needed in production (a default would send teams to a
    developer's machine); a password is never sent to a mail server in the clear."""
    if not app.config.get("NOTIFICATIONS_BASE_URL"):
        if not local:
            raise ConfigurationError(
                "ASSESSMENT_NOTIFICATIONS_BASE_URL must be set outside local development: the "
                "address (https://...) the sign-in link in every notification points to."
            )
        app.config["NOTIFICATIONS_BASE_URL"] = "http://127.0.0.1:5000"
    if (app.config.get("SMTP_USERNAME") or app.config.get("SMTP_PASSWORD")) and not app.config.get(
        "SMTP_STARTTLS"
    ):
        raise ConfigurationError(
            "ASSESSMENT_SMTP_USERNAME and ASSESSMENT_SMTP_PASSWORD are sent only over STARTTLS: "
            "set ASSESSMENT_SMTP_STARTTLS=true (or remove the credentials)."
        )


def _checkpoint_key(app: Flask, local: bool) -> None:
    """The audit checkpoints' signing key: configured, or read from its file, or (locally) a
    random key kept in the instance folder. Production refuses to start without one."""
    if not app.config.get("AUDIT_CHECKPOINT_KEY"):
        key_file = app.config.get("AUDIT_CHECKPOINT_KEY_FILE")
        if key_file:
            try:
                keys = [k.strip() for k in Path(key_file).read_text().splitlines() if k.strip()]
            except OSError as exc:
                raise ConfigurationError(
                    f"ASSESSMENT_AUDIT_CHECKPOINT_KEY_FILE cannot be read: {exc.strerror}."
                ) from None
            if not keys:
                raise ConfigurationError("ASSESSMENT_AUDIT_CHECKPOINT_KEY_FILE is empty.")
            app.config["AUDIT_CHECKPOINT_KEY"] = keys[0]
            app.config["AUDIT_CHECKPOINT_RETIRED_KEYS"] = [
                *keys[1:],
                *(app.config.get("AUDIT_CHECKPOINT_RETIRED_KEYS") or []),
            ]
        elif local:
            app.config["AUDIT_CHECKPOINT_KEY"] = _kept_in_instance(
                Path(app.instance_path) / "audit_checkpoint_key",
                lambda: secrets.token_urlsafe(48),
            )
        else:
            raise ConfigurationError(
                "ASSESSMENT_AUDIT_CHECKPOINT_KEY or ASSESSMENT_AUDIT_CHECKPOINT_KEY_FILE must be "
                "set outside local development: it signs the audit trail's checkpoints and must "
                "not be kept in the database."
            )
    if len(str(app.config["AUDIT_CHECKPOINT_KEY"])) < 32:
        raise ConfigurationError("The audit checkpoint key must be at least 32 characters.")
    if not app.config.get("AUDIT_CHECKPOINT_FILE"):
        app.config["AUDIT_CHECKPOINT_FILE"] = str(
            Path(app.instance_path) / "audit_checkpoints.jsonl"
        )


def _local_totp_key(instance: Path) -> str:
    """A Fernet key kept in the instance folder, so local second factors survive a restart."""
    from cryptography.fernet import Fernet

    return _kept_in_instance(instance / "totp_key", lambda: Fernet.generate_key().decode())


def _local_secret_key(instance: Path) -> str:
    """A random key kept in the instance folder, so local sessions survive a restart."""
    return _kept_in_instance(instance / "secret_key", lambda: secrets.token_urlsafe(48))


def _kept_in_instance(path: Path, make: Callable[[], str]) -> str:
    """The value in ``path`` (readable by its owner only), made by ``make`` the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()
