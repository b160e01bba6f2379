"""Bad input: 415, 400, 422 with pointers (unknown fields too), 413, 429, and nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from assessment_engine.assessments.models import Assessment
from assessment_engine.records.models import AuditEvent, Client

from .conftest import Api


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    return body


def _pointers(body: dict[str, Any]) -> set[str]:
    return {entry.get("pointer", entry.get("parameter")) for entry in body["errors"]}


@pytest.fixture
def counts(db_session: Any) -> Any:
    """Rows in the tables a request could write to."""

    def read() -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            db_session.scalar(select(func.count()).select_from(model))
            for model in (Client, Assessment, AuditEvent)
        )

    return read


def _assessment(person: Any, answers: Any, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": str(person.id),
        "questionnaire": "joint-assessment",
        "answers": answers,
        "status": "submitted",
        **extra,
    }


def test_wrong_content_type_is_415(api: Api, counts: Any) -> None:
    before = counts()
    response = api.post(
        "/api/v1/clients", data="chi=1904851231", headers={"Content-Type": "text/plain"}
    )
    _problem(response, 415)
    _problem(api.post("/api/v1/clients", data=b"{}"), 415)  # no content type at all
    assert counts() == before


def test_malformed_json_is_400(api: Api, counts: Any) -> None:
    before = counts()
    for raw in ('{"chi": ', "{'chi': 1}", '{"n": NaN}', ""):
        body = _problem(
            api.post("/api/v1/clients", data=raw, headers={"Content-Type": "application/json"}), 400
        )
        assert "JSON" in body["detail"]
    assert counts() == before


def test_unknown_and_invalid_fields_are_422_with_pointers(api: Api, counts: Any) -> None:
    before = counts()
    body = _problem(
        api.post(
            "/api/v1/clients",
            {
                "chi": "1904851231",
                "given_name": "Morag",
                "family_name": "McDonald",
                "date_of_birth": "not a date",
                "favourite_colour": "blue",
            },
        ),
        422,
    )
    assert {"/favourite_colour", "/date_of_birth"} <= _pointers(body)
    body = _problem(
        api.post(
            "/api/v1/clients",
            {
                "chi": "0101201233",
                "given_name": "",
                "family_name": "X",
                "date_of_birth": "1920-01-01",
            },
        ),
        422,
    )
    assert {"/chi", "/given_name"} <= _pointers(body)
    assert counts() == before


def test_invalid_answers_are_422_pointing_into_answers(
    api: Api, person: Any, example: Any, counts: Any
) -> None:
    answers = example("depression-with-self-harm-thoughts")
    answers["mood"]["phq9"]["item9"] = 7
    answers["about"]["shoe_size"] = 9
    before = counts()
    body = _problem(api.post("/api/v1/assessments", _assessment(person, answers)), 422)
    pointers = _pointers(body)
    assert "/answers/mood/phq9/item9" in pointers
    assert any(p.startswith("/answers/about") for p in pointers)
    assert counts() == before  # no assessment, no audit event: nothing stored


def test_incomplete_answers_cannot_be_submitted_but_can_be_a_draft(
    api: Api, person: Any, example: Any
) -> None:
    answers = example("carer-under-strain")
    del answers["mood"]
    body = _problem(api.post("/api/v1/assessments", _assessment(person, answers)), 422)
    assert any(p.startswith("/answers/mood") for p in _pointers(body))
    draft = api.post("/api/v1/assessments", _assessment(person, answers, status="draft"))
    assert draft.status_code == 201
    assert draft.get_json()["decision"] is None and draft.get_json()["referrals"] == []


def test_unknown_client_and_questionnaire_are_422(api: Api, person: Any) -> None:
    body = _problem(
        api.post(
            "/api/v1/assessments",
            {"client_id": "nope", "questionnaire": "joint-assessment", "status": "draft"},
        ),
        422,
    )
    assert _pointers(body) == {"/client_id"}
    body = _problem(
        api.post(
            "/api/v1/assessments",
            {"client_id": str(person.id), "questionnaire": "nope", "status": "draft"},
        ),
        422,
    )
    assert _pointers(body) == {"/questionnaire"}
    body = _problem(
        api.post(
            "/api/v1/assessments",
            {
                "client_id": str(person.id),
                "questionnaire": "phq-9",
                "version": 9,
                "status": "draft",
            },
        ),
        422,
    )
    assert _pointers(body) == {"/version"}


def test_bad_query_parameters_are_422_by_name(api: Api) -> None:
    body = _problem(api.get("/api/v1/referrals?limit=500"), 422)
    assert _pointers(body) == {"limit"}
    body = _problem(api.get("/api/v1/referrals?status=lost"), 422)
    assert _pointers(body) == {"status"}
    body = _problem(api.get("/api/v1/questionnaires?cursor=!!!"), 422)
    assert _pointers(body) == {"cursor"}
    body = _problem(api.get("/api/v1/clients"), 422)
    assert _pointers(body) == {"chi"}
    body = _problem(api.get("/api/v1/clients?chi=0101201233"), 422)
    assert _pointers(body) == {"chi"}


def test_a_body_over_the_limit_is_413(app: Flask, api: Api, counts: Any) -> None:
    before = counts()
    big = json.dumps({"chi": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    _problem(
        api.post("/api/v1/clients", data=big, headers={"Content-Type": "application/json"}), 413
    )
    assert counts() == before


def test_a_duplicate_chi_is_409_with_the_existing_id(api: Api, person: Any) -> None:
    body = _problem(
        api.post(
            "/api/v1/clients",
            {
                "chi": person.chi,
                "given_name": "Jean",
                "family_name": "MacDonald",
                "date_of_birth": person.date_of_birth.isoformat(),
            },
        ),
        409,
    )
    assert body["existing_id"] == str(person.id)


@pytest.fixture
def tight_rate_limit(app: Flask) -> Iterator[None]:
    previous = app.config.get("API_RATE_LIMIT")
    app.config["API_RATE_LIMIT"] = "3 per minute"
    yield
    app.config["API_RATE_LIMIT"] = previous


def test_rate_limits_are_per_client_with_retry_after(
    api_as: Any, questionnaires: Any, tight_rate_limit: None
) -> None:
    first, second = api_as(), api_as()
    for _ in range(3):
        assert first.get("/api/v1/questionnaires").status_code == 200
    body = _problem(first.get("/api/v1/questionnaires"), 429)
    limited = first.get("/api/v1/questionnaires")
    assert int(limited.headers["Retry-After"]) > 0
    assert body["title"] == "Too Many Requests"
    assert second.get("/api/v1/questionnaires").status_code == 200  # another client: its own count
