"""Tokens, scopes and what may be seen: 401, 403, 404; the CLI; the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from assessment_engine.api.models import ApiClient
from assessment_engine.api.tokens import DEFAULT_SCOPES, authenticate, hash_token, revoke_api_client
from assessment_engine.db import utcnow

from .conftest import Api


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status and body["title"] and "type" in body
    return body


def test_no_token_is_401_with_a_challenge(client: Any, questionnaires: Any) -> None:
    response = client.get("/api/v1/questionnaires")
    _problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_401(api_as: Any, questionnaires: Any) -> None:
    api = api_as()
    api.token = "sae_" + "x" * 43
    response = api.get("/api/v1/questionnaires")
    _problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_stops_working(api_as: Any, db_session: Any, questionnaires: Any) -> None:
    api = api_as()
    assert api.get("/api/v1/questionnaires").status_code == 200
    found = db_session.scalar(
        select(ApiClient).where(ApiClient.token_hash == hash_token(api.token))
    )
    revoke_api_client(db_session, found)
    db_session.flush()
    _problem(api.get("/api/v1/questionnaires"), 401)


def test_only_the_hash_of_a_token_is_stored(make_token: Any, db_session: Any) -> None:
    token = make_token()
    assert len(token) >= 43  # 32 random bytes, base64url
    stored = db_session.scalars(select(ApiClient)).all()
    assert all(token not in (client.token_hash, client.name) for client in stored)
    assert authenticate(db_session, token) is not None
    assert authenticate(db_session, token[:-1]) is None


def test_a_missing_scope_is_403(api_as: Any, questionnaires: Any) -> None:
    api = api_as(scopes=["clients:read"])
    body = _problem(api.get("/api/v1/questionnaires"), 403)
    assert "questionnaires:read" in body["detail"]
    _problem(api.post("/api/v1/fhir/Questionnaire", {"resourceType": "Questionnaire"}), 403)


def test_default_scopes_leave_out_questionnaire_administration(api: Api) -> None:
    assert "questionnaires:write" not in DEFAULT_SCOPES
    _problem(api.post("/api/v1/questionnaires/phq-9/versions/1/publish"), 403)


def test_the_session_cookie_never_authenticates(
    client: Any, login_as: Any, questionnaires: Any
) -> None:
    login_as("administrator")
    assert client.get("/").status_code == 200  # signed in to the web pages
    _problem(client.get("/api/v1/questionnaires"), 401)
    _problem(client.post("/api/v1/clients", json={}), 401)


def test_last_used_is_recorded_at_most_once_a_minute(
    api_as: Any, db_session: Any, questionnaires: Any
) -> None:
    api = api_as()
    found = db_session.scalar(
        select(ApiClient).where(ApiClient.token_hash == hash_token(api.token))
    )
    assert found.last_used_at is None
    api.get("/api/v1/questionnaires")
    db_session.refresh(found)
    first = found.last_used_at
    assert first is not None
    api.get("/api/v1/questionnaires")
    db_session.refresh(found)
    assert found.last_used_at == first
    found.last_used_at = utcnow() - timedelta(minutes=5)
    db_session.flush()
    api.get("/api/v1/questionnaires")
    db_session.refresh(found)
    assert found.last_used_at > first - timedelta(minutes=1)


def test_another_organisations_referral_is_404(
    api: Api, api_as: Any, person: Any, example: Any
) -> None:
    submitted = api.post(
        "/api/v1/assessments",
        {
            "client_id": str(person.id),
            "questionnaire": "joint-assessment",
            "answers": example("carer-under-strain"),
            "status": "submitted",
        },
    ).get_json()
    to_council = [r for r in submitted["referrals"] if r["organisation"] == "perth-kinross-council"]
    assert to_council
    referral_id = to_council[0]["id"]
    # NHS Tayside made the assessment but the referral is the council's: not Tayside's to see.
    _problem(api.get(f"/api/v1/referrals/{referral_id}"), 404)
    _problem(
        api.patch(
            f"/api/v1/referrals/{referral_id}", {"status": "accepted"}, headers={"If-Match": "*"}
        ),
        404,
    )
    assert all(
        r["organisation"] == "nhs-tayside" for r in api.get("/api/v1/referrals").get_json()["items"]
    )


def test_nonexistent_records_are_404(api: Api) -> None:
    for url in (
        "/api/v1/clients/0190b2a4-0000-7000-8000-000000000000",
        "/api/v1/clients/not-an-id",
        "/api/v1/assessments/0190b2a4-0000-7000-8000-000000000000",
        "/api/v1/assessments/0190b2a4-0000-7000-8000-000000000000/fhir",
        "/api/v1/referrals/nope",
        "/api/v1/questionnaires/no-such-thing",
        "/api/v1/questionnaires/phq-9/versions/99",
        "/api/v1/nowhere",
    ):
        _problem(api.get(url), 404)


def test_create_api_client_prints_the_token_last(
    app: Flask, db_session: Any, factories: Any
) -> None:
    factories.organisation("nhs-tayside")
    db_session.commit()  # the command runs in its own app context, on the same connection
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-api-client", "--org", "nhs-tayside", "--name", "GP system"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    found = db_session.scalar(select(ApiClient).where(ApiClient.token_hash == hash_token(token)))
    assert found is not None and found.name == "GP system"
    assert sorted(found.scopes) == sorted(DEFAULT_SCOPES)

    scoped = runner.invoke(
        args=[
            "create-api-client",
            "--org",
            "nhs-tayside",
            "--name",
            "Admin",
            "--scope",
            "questionnaires:write",
            "--scope",
            "questionnaires:read",
        ]
    )
    token = scoped.output.strip().splitlines()[-1]
    found = db_session.scalar(select(ApiClient).where(ApiClient.token_hash == hash_token(token)))
    assert found.scopes == ["questionnaires:write", "questionnaires:read"]

    bad = runner.invoke(
        args=["create-api-client", "--org", "nhs-tayside", "--name", "X", "--scope", "everything"]
    )
    assert bad.exit_code != 0 and "Unknown scope" in bad.output
    missing = runner.invoke(args=["create-api-client", "--org", "nowhere", "--name", "X"])
    assert missing.exit_code != 0


def test_the_openapi_document_needs_no_token(client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/assessments" in document["paths"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_documentation_page_uses_local_assets_under_the_csp(client: Any) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "style-src 'self'" in csp
    assert "/static/dist/swagger-ui/swagger-ui-bundle.js" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in html
