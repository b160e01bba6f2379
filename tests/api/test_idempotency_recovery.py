"""A key whose request died is taken over quickly and safely; stored responses are purged after
the retention; API JSON is never cached; HSTS in production."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Response
from sqlalchemy import func, select, update

from assessment_engine import create_app
from assessment_engine.api import idempotency
from assessment_engine.api.models import ApiClient, IdempotencyKey, IdempotencyState
from assessment_engine.api.tokens import hash_token
from assessment_engine.assessments.models import Assessment
from assessment_engine.db import utcnow

from .conftest import Api


def _body(person: Any, answers: Any) -> dict[str, Any]:
    return {
        "client_id": str(person.id),
        "questionnaire": "joint-assessment",
        "answers": answers,
        "status": "submitted",
    }


def _fingerprint(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"POST /api/v1/assessments\n{canonical}".encode()).hexdigest()


def _owner(db_session: Any, api: Api) -> ApiClient:
    return db_session.scalar(select(ApiClient).where(ApiClient.token_hash == hash_token(api.token)))


def _claim(db_session: Any, api: Api, body: dict[str, Any], age: timedelta, **kw: Any) -> Any:
    record = IdempotencyKey(
        api_client_id=_owner(db_session, api).id,
        key=kw.pop("key", "k-dead"),
        fingerprint=_fingerprint(body),
        state=kw.pop("state", IdempotencyState.IN_PROGRESS),
        response_headers={},
        created_at=utcnow() - age,
        **kw,
    )
    db_session.add(record)
    db_session.flush()
    return record


def test_a_key_whose_request_died_is_taken_over_after_30_seconds(
    api: Api, person: Any, example: Any, db_session: Any
) -> None:
    body = _body(person, example("carer-under-strain"))
    _claim(db_session, api, body, timedelta(seconds=31))
    response = api.post("/api/v1/assessments", body, headers={"Idempotency-Key": "k-dead"})
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    retry = api.post("/api/v1/assessments", body, headers={"Idempotency-Key": "k-dead"})
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["Cache-Control"] == "no-store"
    assert db_session.scalar(select(func.count()).select_from(Assessment)) == 1


def test_a_claim_inside_its_lease_still_gets_409(
    api: Api, person: Any, example: Any, db_session: Any
) -> None:
    body = _body(person, example("carer-under-strain"))
    _claim(db_session, api, body, timedelta(seconds=20))
    response = api.post("/api/v1/assessments", body, headers={"Idempotency-Key": "k-dead"})
    assert response.status_code == 409
    assert response.headers["Cache-Control"] == "no-store"


def test_a_request_that_outlived_its_lease_and_was_taken_over_stores_nothing(
    api: Api, db_session: Any
) -> None:
    owner = _owner(db_session, api)
    ran: list[str] = []

    def handler(finish: Any) -> Response:
        # Meanwhile a retry took the key over: its claim time (the fencing token) changed.
        db_session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "k-slow")
            .values(created_at=utcnow() + timedelta(seconds=1))
        )
        ran.append("work")
        response = Response("{}", status=201, mimetype="application/json")
        finish(response)
        return response

    with pytest.raises(idempotency.LeaseLost):
        idempotency.run(db_session, owner, "k-slow", "f" * 64, handler, replay=None)  # type: ignore[arg-type]
    assert ran == ["work"]
    record = db_session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "k-slow"))
    assert record is not None and record.state is IdempotencyState.IN_PROGRESS  # the retry's


def test_stored_responses_are_purged_after_the_retention(
    app: Any, api: Api, person: Any, example: Any, db_session: Any
) -> None:
    body = _body(person, example("carer-under-strain"))
    old = _claim(
        db_session,
        api,
        body,
        timedelta(hours=25),
        key="k-old",
        state=IdempotencyState.DONE,
        response_status=201,
        response_body='{"answers": "kept for ever"}',
    )
    recent = _claim(db_session, api, body, timedelta(hours=1), key="k-new")
    old_id, recent_id = old.id, recent.id
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["purge-idempotency-keys"])
    assert result.exit_code == 0 and "older than 24 hour(s)" in result.output
    db_session.expire_all()
    assert db_session.get(IdempotencyKey, old_id) is None
    assert db_session.get(IdempotencyKey, recent_id) is not None
    result = app.test_cli_runner().invoke(args=["purge-idempotency-keys", "--hours", "0.5"])
    assert result.exit_code == 0
    db_session.expire_all()
    assert db_session.get(IdempotencyKey, recent_id) is None


def test_hsts_in_production_only(tmp_path: Any) -> None:
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path}/h.db", "SECRET_KEY": "k" * 32}
    prod = create_app(
        {
            **settings,
            "ENV": "production",
            "AUDIT_CHECKPOINT_KEY": "c" * 32,
            "TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "NOTIFICATIONS_BASE_URL": "https://assessment.example",
        }
    ).test_client()
    local = create_app({**settings, "ENV": "testing"}).test_client()
    hsts = "Strict-Transport-Security"
    secure = prod.get("/api/v1/openapi.json", base_url="https://assessment.example")
    assert secure.headers[hsts].startswith("max-age=31536000")
    assert hsts not in prod.get("/api/v1/openapi.json").headers  # not over plain HTTP
    assert hsts not in local.get("/api/v1/openapi.json", base_url="https://localhost").headers
    # The public OpenAPI document may be cached; nothing else of the API is.
    assert local.get("/api/v1/openapi.json").headers["Cache-Control"] == "public, max-age=300"
    assert local.get("/api/v1/assessments").headers["Cache-Control"] == "no-store"
