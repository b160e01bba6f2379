"""The API door treats a discarded draft as the pages do: shown as discarded, never changed or
submitted (409), and on the person's timeline."""

from __future__ import annotations

import uuid
from typing import Any

from assessment_engine.assessments import services
from assessment_engine.assessments.models import Assessment
from assessment_engine.kernel.actor import Actor

from ..records import builders
from .conftest import Api


def test_a_discarded_draft_is_shown_as_discarded_and_refuses_changes(
    api: Api, person: Any, db_session: Any, factories: Any
) -> None:
    made = api.post(
        "/api/v1/assessments",
        {
            "client_id": str(person.id),
            "questionnaire": "joint-assessment",
            "answers": {},
            "status": "draft",
        },
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["discarded_at"] is None
    draft = db_session.get(Assessment, uuid.UUID(made.get_json()["id"]))
    manager = Actor.for_user(
        builders.user(db_session, "team_manager", factories.organisation("nhs-tayside"))
    )
    services.discard_draft(db_session, manager, draft, expected_version=draft.version)
    db_session.flush()

    url = made.headers["Location"]
    shown = api.get(url)
    assert shown.status_code == 200 and shown.get_json()["discarded_at"] is not None
    assert shown.headers["ETag"] != made.headers["ETag"]
    for body in ({"answers": {}}, {"status": "submitted"}):
        refused = api.patch(url, body, headers={"If-Match": shown.headers["ETag"]})
        assert refused.status_code == 409, refused.get_json()
        assert "discarded" in refused.get_json()["detail"]
    timeline = api.get(f"/api/v1/clients/{person.id}").get_json()["timeline"]
    assert "assessment.discarded" in [entry["event"] for entry in timeline]
