"""A draft belongs to its author's organisation: others may read it where the person's sharing
views allow, never change it; team managers (who do not start assessments) cannot edit it."""

from __future__ import annotations

from typing import Any

import pytest

from assessment_engine.assessments.models import AssessmentStatus

from ..records import builders

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"


@pytest.fixture
def draft(factories: Any, db_session: Any) -> Any:
    person = factories.client(org=COUNCIL)
    author = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    return builders.assessment(
        db_session,
        person,
        author,
        status=AssessmentStatus.DRAFT,
        answers={"about": {"name": "Jean"}},
    )


def _save(client: Any, draft: Any) -> Any:
    return client.post_form(
        f"/assessments/{draft.id}/sections/about",
        {"version": str(draft.version), "about-name": "Changed"},
    )


@pytest.mark.parametrize(
    ("role", "org"),
    [("assessor", NHS), ("team_manager", COUNCIL), ("team_manager", NHS)],
)
def test_others_may_read_a_draft_but_not_change_it(
    client: Any, login_as: Any, draft: Any, db_session: Any, role: str, org: str
) -> None:
    login_as(role, org)
    page = client.get(f"/assessments/{draft.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="read-only"' in html and f"/assessments/{draft.id}/sections/" not in html
    assert client.get(f"/assessments/{draft.id}/sections/about").status_code == 403
    assert _save(client, draft).status_code == 403
    submitted = client.post_form(f"/assessments/{draft.id}/submit", {"version": "1"})
    assert submitted.status_code == 403
    db_session.refresh(draft)
    assert draft.answers == {"about": {"name": "Jean"}}
    assert draft.status is AssessmentStatus.DRAFT


def test_the_authors_organisation_may_change_it(
    client: Any, login_as: Any, draft: Any, db_session: Any
) -> None:
    login_as("assessor", COUNCIL)
    html = client.get(f"/assessments/{draft.id}").get_data(as_text=True)
    assert 'id="read-only"' not in html and f"/assessments/{draft.id}/sections/about" in html
    assert client.get(f"/assessments/{draft.id}/sections/about").status_code == 200
    assert _save(client, draft).status_code == 302
    db_session.refresh(draft)
    assert draft.answers["about"]["name"] == "Changed"


def test_a_declined_partner_cannot_even_read_it(
    client: Any, login_as: Any, draft: Any, factories: Any, db_session: Any
) -> None:
    recorder = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    builders.decline_sharing(db_session, draft.client, recorder, factories.organisation(NHS))
    login_as("assessor", NHS)
    assert client.get(f"/assessments/{draft.id}").status_code == 404
    assert _save(client, draft).status_code == 404
