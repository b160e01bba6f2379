"""Drafts: "Start" goes on with the organisation's draft; a draft can be discarded by its author
or a team manager of its organisation, is kept, and never changes again; the dashboard lists the
assessor's drafts and what they submitted."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from assessment_engine.assessments import access as assessment_access
from assessment_engine.assessments import services
from assessment_engine.assessments.models import Assessment, AssessmentStatus
from assessment_engine.kernel import policy
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.models import AuditEvent
from assessment_engine.questionnaires.models import ImmutableRecordError
from assessment_engine.records.access import AccessDenied

from ..conftest import sign_in_with_code
from ..records import builders

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"


def _joint(db_session: Any, author: Any, person: Any) -> Assessment:
    version = services.latest_published(db_session, "joint-assessment")
    assert version is not None
    draft = services.start_assessment(db_session, Actor.for_user(author), person, version)
    db_session.flush()
    return draft


def _sign_in(client: Any, factories: Any, user: Any) -> None:
    sign_in_with_code(client, factories, user, password=builders.PASSWORD)


def _start(client: Any, person: Any) -> str:
    response = client.post_form(f"/people/{person.id}/assessments", {})
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"]).rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("role", "same_org", "author", "draft", "allowed"),
    [
        (policy.ASSESSOR, True, True, True, True),
        (policy.ASSESSOR, True, False, True, False),
        (policy.TEAM_MANAGER, True, False, True, True),
        (policy.TEAM_MANAGER, False, False, True, False),
        (policy.ASSESSOR, False, True, True, False),
        (policy.ASSESSOR, True, True, False, False),
        (policy.ADMINISTRATOR, True, False, True, False),
    ],
)
def test_who_may_discard_a_draft(
    role: str, same_org: bool, author: bool, draft: bool, allowed: bool
) -> None:
    actor = policy.ActorFacts(policy.ActorKind.USER, 1, role)
    record = policy.RecordFacts(1)
    facts = policy.AssessmentFacts(1 if same_org else 2, draft)
    assert policy.may_discard_draft(actor, record, facts, is_author=author) is allowed
    system = policy.ActorFacts(policy.ActorKind.PARTNER_SYSTEM, 1)
    assert not policy.may_discard_draft(system, record, facts, is_author=False)


def test_start_goes_on_with_the_organisations_draft_not_another_organisations(
    client: Any, factories: Any, db_session: Any
) -> None:
    person = factories.client(org=COUNCIL)
    nurse = builders.user(db_session, "assessor", factories.organisation(NHS))
    theirs = _joint(db_session, nurse, person)
    me = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    _sign_in(client, factories, me)

    record = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert 'id="other-drafts"' in record and nurse.name in record
    assert "Start a joint assessment" in record

    first = _start(client, person)
    assert first != str(theirs.id)
    assert _start(client, person) == first  # the second Start lands in the same draft
    record = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert 'id="our-draft"' in record and "Continue the joint assessment" in record

    colleague = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    version = services.latest_published(db_session, "joint-assessment")
    assert version is not None
    resumed = services.open_draft_of(db_session, Actor.for_user(colleague), person, version)
    assert resumed is not None and str(resumed.id) == first
    drafts = db_session.scalars(
        select(Assessment).where(
            Assessment.client_id == person.id, Assessment.status == AssessmentStatus.DRAFT
        )
    ).all()
    assert len(drafts) == 2


def test_a_discarded_draft_is_kept_read_only_and_start_makes_a_new_one(
    client: Any, factories: Any, db_session: Any
) -> None:
    person = factories.client(org=COUNCIL)
    me = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    _sign_in(client, factories, me)
    draft_id = _start(client, person)
    draft = db_session.get(Assessment, uuid.UUID(draft_id))
    task_list = client.get(f"/assessments/{draft_id}").get_data(as_text=True)
    assert f"/assessments/{draft_id}/discard" in task_list

    confirm = client.get(f"/assessments/{draft_id}/discard")
    assert confirm.status_code == 200 and "Discard this draft?" in confirm.get_data(as_text=True)
    stale = client.post_form(f"/assessments/{draft_id}/discard", {"version": "99"})
    assert stale.headers["Location"].endswith(f"/assessments/{draft_id}")
    db_session.refresh(draft)
    assert draft.discarded_at is None
    done = client.post_form(f"/assessments/{draft_id}/discard", {"version": str(draft.version)})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/people/{person.id}")

    db_session.refresh(draft)
    assert draft.discarded_at is not None and draft.discarded_by_id == me.id
    assert draft.status is AssessmentStatus.DRAFT and not draft.open_draft
    event = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "assessment.discard", AuditEvent.record_id == draft_id
        )
    )
    assert event is not None and event.user_id == me.id

    shown = client.get(f"/assessments/{draft_id}").get_data(as_text=True)
    assert 'id="discarded"' in shown and f"/assessments/{draft_id}/discard" not in shown
    assert f"/assessments/{draft_id}/sections/" not in shown
    task_list_url = f"/assessments/{draft_id}"
    for response in (
        client.get(f"{task_list_url}/sections/about"),
        client.post_form(
            f"{task_list_url}/sections/about", {"version": str(draft.version), "about-name": "X"}
        ),
        client.get(f"{task_list_url}/check"),
        client.post_form(f"{task_list_url}/submit", {"version": str(draft.version)}),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].endswith(task_list_url)
    assert client.get(f"{task_list_url}/discard").status_code == 403
    record = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "Discarded" in record and "Start a joint assessment" in record
    timeline = client.get(f"/people/{person.id}/timeline").get_data(as_text=True)
    assert "Assessment discarded: Joint Single Shared Assessment" in timeline
    assert _start(client, person) != draft_id


def test_only_the_author_or_a_team_manager_of_its_organisation_may_discard(
    factories: Any, db_session: Any
) -> None:
    person = factories.client(org=COUNCIL)
    council = factories.organisation(COUNCIL)
    author = builders.user(db_session, "assessor", council)
    draft = _joint(db_session, author, person)
    colleague = builders.user(db_session, "assessor", council)
    nurse_manager = builders.user(db_session, "team_manager", factories.organisation(NHS))
    for refused in (colleague, nurse_manager):
        with pytest.raises(AccessDenied):
            assessment_access.draft_for_discard(db_session, Actor.for_user(refused), draft.id)
    manager = Actor.for_user(builders.user(db_session, "team_manager", council))
    opened = assessment_access.draft_for_discard(db_session, manager, draft.id)
    services.discard_draft(db_session, manager, opened.assessment, expected_version=draft.version)
    assert draft.discarded


def test_a_discarded_draft_never_changes(factories: Any, db_session: Any, app: Any) -> None:
    person = factories.client(org=COUNCIL)
    author = builders.user(db_session, "assessor", factories.organisation(COUNCIL))
    actor = Actor.for_user(author)
    draft = _joint(db_session, author, person)
    services.discard_draft(db_session, actor, draft, expected_version=draft.version)
    db_session.flush()
    prepared = services.prepare_version(
        db_session, app.extensions["assessment_versions"], draft.questionnaire_version
    )
    for attempt in (
        lambda: services.save_answers(
            db_session, actor, draft, prepared, {}, expected_version=None
        ),
        lambda: services.submit(db_session, actor, draft, prepared, expected_version=None),
        lambda: services.discard_draft(db_session, actor, draft, expected_version=None),
    ):
        with pytest.raises(services.NotEditable, match="discarded"):
            attempt()

    nested = db_session.begin_nested()
    draft.answers = {"about": {"name": "Changed"}}
    with pytest.raises(ImmutableRecordError):
        db_session.flush()
    nested.rollback()

    key = draft.id.hex if db_session.bind.dialect.name == "sqlite" else draft.id
    for statement in (
        "UPDATE assessments SET answers = '{}' WHERE id = :a",
        "UPDATE assessments SET discarded_at = NULL WHERE id = :a",
        "DELETE FROM assessments WHERE id = :a",
    ):
        nested = db_session.begin_nested()
        with pytest.raises(DBAPIError, match="discarded draft is kept"):
            db_session.execute(text(statement), {"a": key})
        nested.rollback()


def test_the_dashboard_lists_my_drafts_and_what_i_submitted(
    client: Any, factories: Any, db_session: Any
) -> None:
    council = factories.organisation(COUNCIL)
    me = builders.user(db_session, "assessor", council)
    shared = factories.client(given_name="Ailsa", org=COUNCIL)
    hidden = factories.client(given_name="Morven", org=COUNCIL)
    builders.assessment(db_session, shared, me, status=AssessmentStatus.DRAFT)
    builders.assessment(db_session, shared, me)
    builders.assessment(db_session, hidden, me, status=AssessmentStatus.DRAFT)
    recorder = builders.user(db_session, "assessor", factories.organisation(NHS))
    builders.decline_sharing(db_session, hidden, recorder, council)
    _sign_in(client, factories, me)
    html = client.get("/").get_data(as_text=True)
    mine = html.split('id="my-drafts"')[1].split("Recent records")[0]
    drafts, submitted = mine.split('id="recently-submitted"')
    assert shared.display_name in drafts and shared.display_name in submitted
    # The person declined sharing with the council since: their draft is not listed.
    assert hidden.display_name not in mine
