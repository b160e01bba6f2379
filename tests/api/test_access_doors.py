"""The generated access matrix of the doors to a person's record.

1. Every registered route (the app's URL map and the OpenAPI document) is classified by what it
   opens; a new route that nobody classified fails here, so that nobody adds a door without
   saying which rule guards it.
2. Every API operation on a person's record runs for a partner organisation's system in every
   sharing state (no view, agreed, declined, withdrawn, break-glass) x record kind (a submitted
   assessment, a draft): the identity doors give the identity (``restricted: true`` where
   refused), the content doors and writes are 404 where refused and write nothing, and refused
   responses name nothing of the person. The data are built once per cell.

The routes are classified once, in tests/access_routes.py; the pages' own matrix (organisation x
role x sharing state x record kind) is tests/test_access_matrix.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from assessment_engine.api.tokens import authenticate
from assessment_engine.assessments.models import Assessment, AssessmentStatus
from assessment_engine.db import utcnow
from assessment_engine.kernel.actor import Actor
from assessment_engine.records.models import BreakGlassGrant, SharingView
from assessment_engine.records.sharing import record_sharing_view

from ..access_routes import ADMIN_PREFIX, CLASSIFIED, CONTENT, IDENTITY, WRITE
from ..records import builders
from .conftest import Api, joint_assessment


def test_every_route_and_operation_is_classified(app: Any, client: Any) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unclassified = sorted(
        e for e in endpoints if e not in CLASSIFIED and not e.startswith(ADMIN_PREFIX)
    )
    assert unclassified == [], f"classify these routes in CLASSIFIED: {unclassified}"
    stale = sorted(set(CLASSIFIED) - endpoints)
    assert stale == [], f"these classified routes no longer exist: {stale}"
    document = client.get("/api/v1/openapi.json").get_json()
    by_path = {
        (frozenset(rule.methods or ()), rule.rule): rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    for path, methods in document["paths"].items():
        flask_path = path.replace("{", "<").replace("}", ">")
        for method in methods:
            if method == "parameters":
                continue
            matching = [
                endpoint
                for (allowed, rule), endpoint in by_path.items()
                if method.upper() in allowed and rule.replace("<int:", "<") == flask_path
            ]
            assert matching, f"{method.upper()} {path} is in the document but not routed"
            assert all(m in CLASSIFIED for m in matching)


COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"
STATES = ("no_view", "agreed", "declined", "withdrawn", "break_glass")
KINDS = ("submitted", "draft")


@dataclass
class Scene:
    person: Any
    assessment: Any
    token: Api
    fhir: dict[str, Any]


def _scene(
    api_as: Any, factories: Any, db_session: Any, example: Any, state: str, kind: str
) -> Scene:
    person = factories.client(org=COUNCIL, postcode="PH1 5PH", address="1 High Street")
    council = api_as(COUNCIL)
    record = joint_assessment(council, db_session, person, example("carer-under-strain"), kind)
    fhir = council.get(f"/api/v1/assessments/{record.id}/fhir").get_json()
    token = api_as(NHS)
    recorder = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    nhs = factories.organisation(NHS)
    if state in ("agreed", "declined", "withdrawn", "break_glass"):
        status = "declined" if state == "break_glass" else state
        record_sharing_view(
            db_session,
            Actor.for_user(recorder),
            person,
            status=status,
            stated_on=utcnow().date(),
            partner_ids=[nhs.id],
        )
    if state == "break_glass":
        # The system's own emergency access, as the page grants it to a user.
        system = authenticate(db_session, token.token or "")
        assert system is not None
        now = utcnow()
        db_session.add(
            BreakGlassGrant(
                client_id=person.id,
                actor=f"api:{system.id}",
                user_id=None,
                organisation_id=nhs.id,
                reason="Found collapsed; need the medicines list",
                granted_at=now,
                expires_at=now + timedelta(hours=8),
            )
        )
        db_session.flush()
    return Scene(person, record, token, fhir)


@dataclass(frozen=True)
class Door:
    name: str
    kind: str  # IDENTITY, CONTENT or WRITE
    call: Callable[[Scene, Any], Any]
    allowed: frozenset[int]


def _new_assessment(scene: Scene, example: Any) -> Any:
    return scene.token.post(
        "/api/v1/assessments",
        {
            "client_id": str(scene.person.id),
            "questionnaire": "joint-assessment",
            "answers": {"about": example("carer-under-strain")["about"]},
            "status": "draft",
        },
    )


DOORS = [
    Door(
        "GET /clients/{id}",
        IDENTITY,
        lambda s, _e: s.token.get(f"/api/v1/clients/{s.person.id}"),
        frozenset({200}),
    ),
    Door(
        "GET /clients?chi=",
        IDENTITY,
        lambda s, _e: s.token.get(f"/api/v1/clients?chi={s.person.chi}"),
        frozenset({200}),
    ),
    Door(
        "GET /clients/{id}/sharing-views",
        CONTENT,
        lambda s, _e: s.token.get(f"/api/v1/clients/{s.person.id}/sharing-views"),
        frozenset({200}),
    ),
    Door(
        "GET /assessments/{id}",
        CONTENT,
        lambda s, _e: s.token.get(f"/api/v1/assessments/{s.assessment.id}"),
        frozenset({200}),
    ),
    Door(
        "GET /assessments/{id}/fhir",
        CONTENT,
        lambda s, _e: s.token.get(f"/api/v1/assessments/{s.assessment.id}/fhir"),
        frozenset({200}),
    ),
    Door(
        "GET /assessments/{id}/answers",
        CONTENT,
        lambda s, _e: s.token.get(f"/api/v1/assessments/{s.assessment.id}/answers"),
        frozenset({200}),
    ),
    Door(
        "POST /clients/{id}/sharing-views",
        WRITE,
        lambda s, _e: s.token.post(
            f"/api/v1/clients/{s.person.id}/sharing-views",
            {"status": "agreed", "partners": ["community-link"], "stated_on": "2026-01-01"},
        ),
        frozenset({201}),
    ),
    Door("POST /assessments", WRITE, _new_assessment, frozenset({201})),
    Door(
        "POST /fhir/QuestionnaireResponse",
        WRITE,
        lambda s, _e: s.token.post("/api/v1/fhir/QuestionnaireResponse", s.fhir),
        frozenset({201}),
    ),
    Door(
        "PATCH /assessments/{id}",
        WRITE,
        lambda s, _e: s.token.patch(
            f"/api/v1/assessments/{s.assessment.id}",
            {"answers": s.assessment.answers},
            headers={"If-Match": f'"assessment-{s.assessment.id}-{s.assessment.version}"'},
        ),
        # Past the door: another organisation's draft (403), a submitted one (409), or the
        # ETag's form (412).
        frozenset({403, 409, 412}),
    ),
    Door(
        "POST /assessments/{id}/amendments",
        WRITE,
        lambda s, _e: s.token.post(
            f"/api/v1/assessments/{s.assessment.id}/amendments", {"status": "draft"}
        ),
        # A draft is not amended (409); a submitted one may be (201) or not by this rule (403).
        frozenset({201, 403, 409}),
    ),
]


def _counts(db_session: Any) -> tuple[int, int]:
    return (
        db_session.scalar(select(func.count()).select_from(Assessment)),
        db_session.scalar(select(func.count()).select_from(SharingView)),
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("state", STATES)
def test_every_api_door(
    api_as: Any,
    questionnaires: Any,
    factories: Any,
    db_session: Any,
    example: Any,
    state: str,
    kind: str,
) -> None:
    scene = _scene(api_as, factories, db_session, example, state, kind)
    refused = state in ("declined", "withdrawn")
    failures = []
    for door in DOORS:
        before = _counts(db_session)
        response = door.call(scene, example)
        text = response.get_data(as_text=True)
        if door.kind == IDENTITY:
            body = response.get_json()
            record = body["items"][0] if "items" in body else body
            ok = response.status_code == 200 and record["restricted"] is refused
            ok = ok and (("postcode" in record) is not refused)
            ok = ok and (("1 High Street" in text) is not refused)
        elif refused:
            ok = response.status_code == 404 and _counts(db_session) == before
            ok = ok and scene.person.family_name not in text and "PH15PH" not in text
        else:
            ok = response.status_code in door.allowed
        if not ok:
            failures.append((door.name, response.status_code, text[:300]))
    assert failures == [], failures
    if kind == "draft":
        db_session.refresh(scene.assessment)
        assert scene.assessment.status is AssessmentStatus.DRAFT  # never changed by another
