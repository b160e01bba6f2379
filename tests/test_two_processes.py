"""Two application processes against one PostgreSQL, submitting the same assessments at once.

Each idempotency key's POST /api/v1/assessments is sent to both processes at the same moment
and retried (a 409 "still being processed", a dropped connection) until it succeeds, as a
partner system would. Afterwards there is exactly one assessment per key: none lost, none
duplicated, every response for a key names the same assessment, and the audit chain holds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from assessment_engine.api.models import IdempotencyKey, IdempotencyState
from assessment_engine.api.tokens import create_api_client
from assessment_engine.assessments.models import Assessment
from assessment_engine.auth.models import Role
from assessment_engine.auth.services import create_user
from assessment_engine.demo import demo_chi
from assessment_engine.extensions import db
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import verify_chain
from assessment_engine.partners.services import get_organisation
from assessment_engine.records import services as records
from assessment_engine.records.checkpoints import verify_audit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "form_schemas" / "joint-assessment" / "examples"
KEYS = 24
DEADLINE_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "an application process stopped at start-up"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("an application process did not start within 30 s")


@contextmanager
def gunicorn_processes(
    env: dict[str, str], threads: int = 1, count: int = 2
) -> Iterator[list[str]]:
    """``count`` gunicorn processes of ``wsgi:app`` with ``env``, each on its own port; their
    URLs. Stopped (SIGTERM, then killed after 15 s) on leaving."""
    processes, urls = [], []
    try:
        for _ in range(count):
            port = _free_port()
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers=1",
                    f"--threads={threads}",
                    # A busy CI machine may take longer than gunicorn's 30 s to answer once.
                    "--timeout=120",
                    f"--bind=127.0.0.1:{port}",
                    "--log-level=warning",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            processes.append(process)
            _wait_for(port, process)
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def two_servers(scratch_database_url: str, scratch_app: Any) -> Iterator[dict[str, Any]]:
    """Two gunicorn processes (two threads each) on a seeded scratch PostgreSQL database."""
    if make_url(scratch_database_url).get_backend_name() != "postgresql":
        pytest.skip(
            "needs PostgreSQL: set ASSESSMENT_TEST_DATABASE_URL to a postgresql:// database "
            "(two processes on one SQLite file do not show what a deployment does)"
        )
    app = scratch_app(seed=True)
    with app.app_context():
        org = get_organisation(db.session, "perth-kinross-council")
        user = create_user(
            db.session,
            email="two@pkc.example",
            name="Two Processes",
            password="tandem lighthouse password",
            organisation=org,
            role=Role.ASSESSOR,
        )
        person = records.create_client(
            db.session,
            Actor.for_user(user),
            records.ClientDetails(
                chi=demo_chi(date(1944, 4, 4), 4, True),
                given_name="Two",
                family_name="Processes",
                date_of_birth=date(1944, 4, 4),
            ),
        )
        token = create_api_client(db.session, org, "Two processes").token
        db.session.commit()
        client_id = str(person.id)
    env = {
        **os.environ,
        "ASSESSMENT_ENV": "production",
        "ASSESSMENT_DATABASE_URL": scratch_database_url,
        "ASSESSMENT_SECRET_KEY": "k" * 32,
        "ASSESSMENT_AUDIT_CHECKPOINT_KEY": app.config["AUDIT_CHECKPOINT_KEY"],
        "ASSESSMENT_AUDIT_CHECKPOINT_FILE": app.config["AUDIT_CHECKPOINT_FILE"],
        "ASSESSMENT_TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ASSESSMENT_NOTIFICATIONS_BASE_URL": "https://assessment.example",
        "ASSESSMENT_API_RATE_LIMIT": "100000 per minute",
        "ASSESSMENT_LOG_LEVEL": "WARNING",
    }
    with gunicorn_processes(env, threads=4) as urls:
        yield {"app": app, "urls": urls, "token": token, "client_id": client_id}


def _submit(url: str, token: str, key: str, body: str, deadline: float) -> tuple[int, str]:
    """POST until it succeeds, retrying with the same key as a partner system would."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
    while time.monotonic() < deadline:
        try:
            response = requests.post(
                f"{url}/api/v1/assessments", data=body, headers=headers, timeout=20
            )
        except requests.ConnectionError:
            time.sleep(0.05)
            continue
        if response.status_code == 409:
            time.sleep(0.05)
            continue
        return response.status_code, response.json().get("id", "")
    return 0, ""


def test_each_key_makes_exactly_one_assessment(two_servers: dict[str, Any]) -> None:
    urls, token, client_id = two_servers["urls"], two_servers["token"], two_servers["client_id"]
    examples = [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]
    keys = [f"two-processes-{n:03d}" for n in range(KEYS)]
    bodies = {
        key: json.dumps(
            {
                "client_id": client_id,
                "questionnaire": "joint-assessment",
                "status": "submitted",
                "answers": examples[n % len(examples)],
            }
        )
        for n, key in enumerate(keys)
    }
    deadline = time.monotonic() + DEADLINE_SECONDS
    start = threading.Barrier(len(keys) * 2 * 2)  # every key, to both servers, twice each

    def send(url: str, key: str) -> tuple[str, int, str]:
        start.wait(timeout=30)
        status, assessment_id = _submit(url, token, key, bodies[key], deadline)
        return key, status, assessment_id

    with ThreadPoolExecutor(max_workers=len(keys) * 4) as pool:
        futures = [pool.submit(send, url, key) for key in keys for url in (*urls, *reversed(urls))]
        results = [future.result() for future in futures]

    by_key: dict[str, set[str]] = {}
    for key, status, assessment_id in results:
        assert status in (200, 201), f"{key}: got {status} before the deadline"
        by_key.setdefault(key, set()).add(assessment_id)
    assert all(len(ids) == 1 for ids in by_key.values()), "a key named two assessments"
    answered = {next(iter(ids)) for ids in by_key.values()}
    assert len(answered) == KEYS

    with two_servers["app"].app_context():
        stored = {
            str(found)
            for found in db.session.scalars(
                select(Assessment.id).where(Assessment.client_id == client_id)
            )
        }
        done = db.session.scalar(
            select(func.count())
            .select_from(IdempotencyKey)
            .where(IdempotencyKey.state == IdempotencyState.DONE)
        )
        chain = verify_chain(db.session)
        signed = verify_audit(db.session, two_servers["app"].extensions["audit_checkpoints"])
    assert stored == answered, "an assessment was lost or duplicated"
    assert done == KEYS
    assert chain.ok, chain.reason
    assert signed.ok, signed.message  # both processes' checkpoints agree with the chain
