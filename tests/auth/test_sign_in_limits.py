"""Sign-in limits: per (account, address) with a ceiling per account, the same for accounts that
do not exist, counted in a shared store across processes, on the client's real address behind
the trusted proxies (which is also the one audited)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import select

from assessment_engine import create_app
from assessment_engine.auth.models import UserSession
from assessment_engine.records.models import AuditEvent

from ..conftest import Client
from ..test_two_processes import gunicorn_processes

REDIS_URL = os.environ.get("ASSESSMENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")


def _attempts(client: Any, email: str, count: int, address: str, **headers: str) -> list[int]:
    return [
        client.post_form(
            "/sign-in",
            {"email": email, "password": "not the password at all"},
            environ_base={"REMOTE_ADDR": address},
            headers=headers,
        ).status_code
        for _ in range(count)
    ]


@pytest.fixture
def limits(app: Any) -> Iterator[dict[str, Any]]:
    """Small limits for one test, put back afterwards."""
    saved = {k: app.config[k] for k in ("SIGN_IN_RATE_LIMIT", "SIGN_IN_ACCOUNT_RATE_LIMIT")}
    yield app.config
    app.config.update(saved)


def test_attempts_against_one_account_do_not_lock_out_anyone_else(client, factories, limits):
    """Behind one address (an office's NAT, or before the proxy count was set), 10 bad attempts
    at Jo's account no longer block Sam."""
    limits["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    jo, sam = factories.user(), factories.user()
    assert _attempts(client, jo.email, 4, "10.1.1.1") == [200, 200, 200, 429]
    response = client.post_form(
        "/sign-in",
        {"email": sam.email, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert response.status_code == 302
    # Jo, from her own address, can still sign in.
    mine = client.post_form(
        "/sign-in",
        {"email": jo.email, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.2.2.2"},
    )
    assert mine.status_code == 302


@pytest.mark.parametrize("known", [True, False])
def test_one_account_has_a_ceiling_from_every_address_known_or_not(
    client, factories, limits, known
):
    limits["SIGN_IN_ACCOUNT_RATE_LIMIT"] = "4 per hour"
    email = factories.user().email if known else f"nobody-{uuid.uuid4().hex[:6]}@example.org"
    statuses = [_attempts(client, email, 1, f"10.3.3.{n}")[0] for n in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    page = client.post_form("/sign-in", {"email": email, "password": "x" * 12})
    assert "Too many attempts" in page.get_data(as_text=True)


def test_a_right_password_is_not_counted(client, factories, limits):
    limits["SIGN_IN_RATE_LIMIT"] = "2 per minute"
    user = factories.user()
    for _ in range(3):
        client.post_form("/sign-in", {"email": user.email, "password": factories.PASSWORD})
        client.post_form("/sign-out")
    assert _attempts(client, user.email, 3, "127.0.0.1") == [200, 200, 429]


def test_behind_a_trusted_proxy_the_real_address_is_limited_and_audited(
    app_config, factories, db_session
):
    proxied = create_app(
        {**app_config, "TRUSTED_PROXY_COUNT": 1, "SIGN_IN_RATE_LIMIT": "2 per minute"}
    )
    proxied.test_client_class = Client
    client = proxied.test_client()
    user = factories.user()
    # Two people behind the proxy: each counted on their own address.
    forwarded = {"X-Forwarded-For": "198.51.100.7"}
    assert _attempts(client, user.email, 3, "10.0.0.1", **forwarded) == [200, 200, 429]
    other = {"X-Forwarded-For": "203.0.113.9"}
    assert _attempts(client, user.email, 1, "10.0.0.1", **other) == [200]

    response = client.post_form(
        "/sign-in",
        {"email": user.email, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": "spoofed.by.client, 203.0.113.9"},
    )
    assert response.status_code == 302
    row = db_session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.address == "203.0.113.9"  # the proxy's own entry, not what the client wrote
    event = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.sign_in", AuditEvent.record_id == str(user.id)
        )
    )
    assert event.address == "203.0.113.9"


def test_without_trusted_proxies_a_forwarded_header_is_ignored(client, factories, db_session):
    user = factories.user()
    client.post_form(
        "/sign-in",
        {"email": user.email, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    row = db_session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.address == "10.0.0.1"


# ------------------------------------------------------------- two processes, one Redis


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not running at {REDIS_URL}; .ci/run starts it")
        pytest.skip(f"Redis is not running at {REDIS_URL}")


@pytest.fixture
def two_servers_sharing_redis(scratch_database_url: str, scratch_app: Any) -> Iterator[list[str]]:
    _redis_or_skip()
    app = scratch_app(seed=True)
    env = {
        **os.environ,
        "ASSESSMENT_ENV": "production",
        "ASSESSMENT_DATABASE_URL": scratch_database_url,
        "ASSESSMENT_SECRET_KEY": "k" * 32,
        "ASSESSMENT_AUDIT_CHECKPOINT_KEY": app.config["AUDIT_CHECKPOINT_KEY"],
        "ASSESSMENT_AUDIT_CHECKPOINT_FILE": app.config["AUDIT_CHECKPOINT_FILE"],
        "ASSESSMENT_TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ASSESSMENT_NOTIFICATIONS_BASE_URL": "https://assessment.example",
        "ASSESSMENT_SESSION_COOKIE_SECURE": "false",
        "ASSESSMENT_RATELIMIT_STORAGE_URI": REDIS_URL,
        # Its own keys: nothing else in the Redis database is read, changed or flushed.
        "ASSESSMENT_RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "ASSESSMENT_RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": "false",
        "ASSESSMENT_SIGN_IN_RATE_LIMIT": "100 per minute",
        "ASSESSMENT_SIGN_IN_ACCOUNT_RATE_LIMIT": "4 per hour",
        "ASSESSMENT_LOG_LEVEL": "ERROR",
    }
    with gunicorn_processes(env) as urls:
        yield urls


def _attempt(url: str, email: str) -> int:
    browser = requests.Session()
    page = browser.get(f"{url}/sign-in", timeout=90).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    response = browser.post(
        f"{url}/sign-in",
        data={"email": email, "password": "not the password at all", "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=90,
    )
    return response.status_code


def test_the_account_ceiling_is_shared_by_two_processes(two_servers_sharing_redis) -> None:
    first, second = two_servers_sharing_redis
    email = f"shared-{uuid.uuid4().hex[:6]}@example.org"
    statuses = [_attempt(url, email) for url in (first, second) * 3]
    # Counted in one place: the fifth attempt is refused whichever process it reaches.
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert _attempt(first, f"other-{email}") == 200
