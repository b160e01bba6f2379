"""Fixtures for the JSON API: the bundled services and questionnaires in the test database,
API clients with tokens, and a test client that sends the token.

``services`` and ``questionnaires`` could move to tests/conftest.py for other packages.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from assessment_engine.api.tokens import create_api_client
from assessment_engine.partners.models import OrganisationKind
from assessment_engine.partners.services import ensure_service
from assessment_engine.questionnaires.services import load_directory

from ..conftest import CONFORMANCE
from ..factories import Factories

ROOT = Path(__file__).resolve().parents[2]
FORM_SCHEMAS = ROOT / "form_schemas"
EXAMPLES = FORM_SCHEMAS / "joint-assessment" / "examples"
PARTNERS = ("perth-kinross-council", "nhs-tayside", "community-link")


@pytest.fixture
def services(db_session: Session, factories: Factories) -> dict[str, Any]:
    """The three demo partners and the services of form_schemas/services.json."""
    found = {}
    for entry in json.loads((FORM_SCHEMAS / "services.json").read_text("utf-8")):
        service, _created = ensure_service(
            db_session,
            slug=entry["slug"],
            name=entry["name"],
            organisation=factories.organisation(entry["organisation"]),
            kind=OrganisationKind(entry["kind"]),
        )
        found[service.slug] = service
    db_session.flush()
    return found


@pytest.fixture
def questionnaires(app: Flask, db_session: Session, services: dict[str, Any]) -> list[str]:
    """The bundled questionnaires, loaded and published in the test database."""
    report = load_directory(db_session, FORM_SCHEMAS, app.extensions["assessment_rules"])
    db_session.flush()
    return report


class ApiClientFactory:
    """Make API clients; returns their tokens."""

    def __init__(self, session: Session, factories: Factories) -> None:
        self.session = session
        self.factories = factories

    def __call__(
        self, org: str = "nhs-tayside", scopes: list[str] | None = None, name: str = "Test system"
    ) -> str:
        issued = create_api_client(self.session, self.factories.organisation(org), name, scopes)
        self.session.flush()
        return issued.token


@pytest.fixture
def make_token(db_session: Session, factories: Factories) -> ApiClientFactory:
    return ApiClientFactory(db_session, factories)


class Api:
    """The test client with ``Authorization: Bearer`` on every request, and JSON helpers."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def get(self, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(
        self, url: str, body: Any = None, headers: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        if body is not None:
            kw.setdefault("json", body)
        return self.client.post(url, headers=self._headers(headers), **kw)

    def patch(
        self, url: str, body: Any = None, headers: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        if body is not None:
            kw.setdefault("json", body)
        return self.client.patch(url, headers=self._headers(headers), **kw)


@pytest.fixture
def api_as(client: FlaskClient, make_token: ApiClientFactory) -> Callable[..., Api]:
    """``api_as(org, scopes)``: a client of a new API client of ``org``."""

    def build(org: str = "nhs-tayside", scopes: list[str] | None = None) -> Api:
        return Api(client, make_token(org, scopes))

    return build


@pytest.fixture
def api(api_as: Callable[..., Api], questionnaires: list[str]) -> Api:
    """An NHS Tayside system with the default scopes, questionnaires loaded."""
    return api_as("nhs-tayside")


@pytest.fixture
def example() -> Callable[[str], dict[str, Any]]:
    """A bundled example's answers, by file name without .json."""

    def read(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
        return data

    return read


@pytest.fixture
def person(factories: Factories) -> Any:
    """A person's shared record."""
    return factories.client(org="perth-kinross-council")


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """``fhir-sdc/`` of the conformance data kept in the project (tests/data/conformance)."""
    return CONFORMANCE / "fhir-sdc"


def joint_assessment(
    api: Api, db_session: Session, person: Any, answers: dict[str, Any], kind: str
) -> Any:
    """A joint assessment of ``person`` made through the API by ``api``'s organisation: submitted
    with ``answers``, or a draft of their first section; the row, read back."""
    from assessment_engine.assessments.models import Assessment

    made = api.post(
        "/api/v1/assessments",
        {
            "client_id": str(person.id),
            "questionnaire": "joint-assessment",
            "answers": answers if kind == "submitted" else {"about": answers["about"]},
            "status": kind,
        },
    )
    assert made.status_code == 201, made.get_json()
    return db_session.get(Assessment, uuid.UUID(made.get_json()["id"]))
