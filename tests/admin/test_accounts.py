"""Organisations, users, services and API clients, managed by administrators; all audited."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from assessment_engine.api import tokens
from assessment_engine.api.models import ApiClient
from assessment_engine.api.tokens import EXPLICIT_SCOPES
from assessment_engine.auth.models import Role, User, UserSession
from assessment_engine.partners.models import Organisation, Service
from assessment_engine.partners.services import ensure_service
from assessment_engine.records.models import AuditEvent

from ..conftest import sign_in_with_code


def _audited(db_session: Any, action: str, record_type: str) -> bool:
    return bool(
        db_session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.record_type == record_type)
        )
    )


def test_organisations_are_added_and_changed(client, admin, db_session) -> None:
    response = client.post_form(
        "/admin/organisations/new",
        {"name": "Perth Carers Centre", "slug": "perth-carers", "kind": "community", "contact": ""},
    )
    assert response.status_code == 302
    org = db_session.scalar(select(Organisation).where(Organisation.slug == "perth-carers"))
    assert org.name == "Perth Carers Centre"
    again = client.post_form(
        "/admin/organisations/new",
        {"name": "Again", "slug": "perth-carers", "kind": "community"},
    )
    assert again.status_code == 422 and "already exists" in again.get_data(as_text=True)
    bad = client.post_form(
        "/admin/organisations/new", {"name": "Bad", "slug": "Not A Slug", "kind": "health"}
    )
    assert bad.status_code == 422
    client.post_form(f"/admin/organisations/{org.id}", {"name": "Perth Carers", "contact": "01738"})
    db_session.refresh(org)
    assert org.name == "Perth Carers" and org.contact == "01738"
    assert _audited(db_session, "organisation.create", "organisation")
    assert _audited(db_session, "organisation.update", "organisation")


def test_users_are_created_given_roles_and_deactivated_which_ends_their_sessions(
    app, client, admin, db_session, factories
) -> None:
    org = factories.organisation("perth-kinross-council")  # the administrator's own
    response = client.post_form(
        "/admin/users/new",
        {
            "name": "Morag Bell",
            "email": "morag.bell@nhs.example",
            "job_title": "District nurse",
            "organisation": str(org.id),
            "role": "assessor",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == "morag.bell@nhs.example"))
    assert user.role == Role.ASSESSOR and user.organisation_id == org.id
    short = client.post_form(
        "/admin/users/new",
        {
            "name": "X",
            "email": "x@nhs.example",
            "organisation": str(org.id),
            "role": "assessor",
            "password": "short",
        },
    )
    assert short.status_code == 422 and "12 characters" in short.get_data(as_text=True)

    client.post_form(f"/admin/users/{user.id}", {"role": "team_manager"})
    db_session.refresh(user)
    assert user.role == Role.TEAM_MANAGER
    client.post_form(f"/admin/users/{user.id}/deactivate")
    db_session.refresh(user)
    assert not user.active
    sessions = db_session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    )
    assert sessions == 0
    assert _audited(db_session, "user.create", "user")
    assert _audited(db_session, "user.role", "user")
    assert _audited(db_session, "user.deactivate", "user")
    mine = client.post_form(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in mine.get_data(as_text=True)


def test_deactivation_signs_the_user_out_at_once(app, db_session, factories) -> None:
    from tests.conftest import Client

    app.test_client_class = Client
    admin_client, user_client = app.test_client(), app.test_client()
    admin = factories.user("administrator")
    user = factories.user("assessor")
    for who, browser in ((admin, admin_client), (user, user_client)):
        response = sign_in_with_code(browser, factories, who)
        assert response.status_code == 302
    assert user_client.get("/").status_code == 200
    admin_client.post_form(f"/admin/users/{user.id}/deactivate")
    after = user_client.get("/")
    assert after.status_code == 302 and "/sign-in" in after.headers["Location"]


def test_services_are_created_and_deactivated_and_clear_compiled_versions(
    app, client, admin, db_session, factories
) -> None:
    cache = app.extensions["assessment_versions"]
    from assessment_engine.questionnaires.services import find_version, prepared

    prepared(db_session, cache, find_version(db_session, "phq-9", 1, drafts=True))
    assert cache._entries
    org = factories.organisation("community-link")
    response = client.post_form(
        "/admin/services/new",
        {
            "name": "Lunch club",
            "slug": "lunch-club-north",
            "organisation": str(org.id),
            "kind": "community",
            "team_email": "team-9@communitylink.example",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not cache._entries
    service = db_session.scalar(select(Service).where(Service.slug == "lunch-club-north"))
    assert service.team_email == "team-9@communitylink.example"

    # The team's address is changed on the service's own page; a broken one is refused there.
    page = client.get(f"/admin/services/{service.id}").get_data(as_text=True)
    assert 'value="team-9@communitylink.example"' in page
    refused = client.post_form(f"/admin/services/{service.id}", {"team_email": "team 9@nowhere"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'href="#team_email"' in html and 'id="team_email-error"' in html
    db_session.refresh(service)
    assert service.team_email == "team-9@communitylink.example"
    saved = client.post_form(
        f"/admin/services/{service.id}", {"team_email": " team-10@cl.example "}
    )
    assert saved.status_code == 302
    db_session.refresh(service)
    assert service.team_email == "team-10@cl.example"
    assert _audited(db_session, "service.team_email", "service")
    # Services set up without a team address (every demo service has one).
    for slug in ("day-centre", "men-s-shed"):
        ensure_service(db_session, slug=slug, name=slug, organisation=org, kind=org.kind)
    listing = client.get("/admin/services").get_data(as_text=True)
    assert "team-10@cl.example" in listing
    # Addresses that would be delivered elsewhere than they seem are refused too.
    for address in (
        "grp:x@y.example",
        "team@tayside.ex[ample",
        "team(crisis)@tayside.example",
        "x@(y).z",
        "Team <t@cl.example>",
    ):
        bad = client.post_form(f"/admin/services/{service.id}", {"team_email": address})
        assert bad.status_code == 422, address
    # Services whose team is told of nothing are flagged.
    unaddressed = db_session.scalars(
        select(Service).where(Service.active.is_(True), Service.team_email == "")
    ).all()
    assert unaddressed
    assert f"{len(unaddressed)} active services have no team email address" in listing
    assert listing.count("No address</strong>") == db_session.scalar(
        select(func.count()).select_from(Service).where(Service.team_email == "")
    )
    created = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "service.create", AuditEvent.record_id == str(service.id)
        )
    )
    assert created is not None and created.detail["team_email"] == "team-9@communitylink.example"

    client.post_form(f"/admin/services/{service.id}/deactivate")
    db_session.refresh(service)
    assert not service.active
    assert _audited(db_session, "service.create", "service")
    assert _audited(db_session, "service.deactivate", "service")


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(
    client, admin, db_session, factories
) -> None:
    org = factories.organisation("perth-kinross-council")  # the administrator's own
    response = client.post_form(
        "/admin/api-clients/new",
        {"name": "Tayside GP system", "organisation": str(org.id), "scopes": ["clients:read"]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    token = re.search(
        r'id="token" type="text" readonly spellcheck="false" autocomplete="off" value="([^"]+)"',
        html,
    ).group(1)
    made = db_session.scalar(select(ApiClient).where(ApiClient.name == "Tayside GP system"))
    assert made.token_hash == tokens.hash_token(token) and token not in made.token_hash
    assert made.scopes == ["clients:read"]
    assert tokens.authenticate(db_session, token) is not None
    listing = client.get("/admin/api-clients").get_data(as_text=True)
    assert "Tayside GP system" in listing and token not in listing
    client.post_form(f"/admin/api-clients/{made.id}/revoke")
    db_session.refresh(made)
    assert tokens.authenticate(db_session, token) is None
    assert _audited(db_session, "api_client.create", "api_client")
    assert _audited(db_session, "api_client.revoke", "api_client")
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.record_type == "api_client"))
    assert all(token not in str(event.detail) for event in events)


def test_administrators_stay_in_their_own_organisation_s_lane(
    client, admin, db_session, factories
) -> None:
    nhs = factories.organisation("nhs-tayside")
    nurse = factories.user("assessor", "nhs-tayside")
    system = tokens.create_api_client(db_session, nhs, "Tayside GP system", ["clients:read"])
    db_session.flush()
    assert nurse.email not in client.get("/admin/users").get_data(as_text=True)
    assert "Tayside GP system" not in client.get("/admin/api-clients").get_data(as_text=True)
    assert client.get(f"/admin/users/{nurse.id}").status_code == 404
    assert client.post_form(f"/admin/users/{nurse.id}/deactivate").status_code == 404
    assert client.post_form(f"/admin/api-clients/{system.client.id}/revoke").status_code == 404
    db_session.refresh(nurse)
    assert nurse.active and tokens.authenticate(db_session, system.token) is not None

    made = client.post_form(
        "/admin/users/new",
        {
            "name": "Morag Bell",
            "email": "morag.bell@nhs.example",
            "organisation": str(nhs.id),
            "role": "assessor",
            "password": "a long enough password",
        },
    )
    assert made.status_code == 422
    minted = client.post_form(
        "/admin/api-clients/new",
        {"name": "Another system", "organisation": str(nhs.id), "scopes": ["assessments:read"]},
    )
    assert minted.status_code == 422
    assert db_session.scalar(select(User).where(User.email == "morag.bell@nhs.example")) is None
    assert db_session.scalar(select(ApiClient).where(ApiClient.name == "Another system")) is None


def test_the_new_api_client_form_ticks_no_write_scope_and_acts_for_one_s_own(client, admin) -> None:
    html = client.get("/admin/api-clients/new").get_data(as_text=True)
    ticked = set(re.findall(r'name="scopes" type="checkbox" value="([^"]+)" checked', html))
    offered = set(re.findall(r'name="scopes" type="checkbox" value="([^"]+)"', html))
    assert "assessments:write" in offered and "clients:write" in offered
    # The scopes of api.md's additions are never pre-ticked: always asked for by name.
    assert ticked == {s for s in offered if s.endswith(":read") and s not in EXPLICIT_SCOPES}
    assert set(EXPLICIT_SCOPES) <= offered
    options = re.findall(r"<option[^>]*>([^<]+)</option>", html)
    assert [option.strip() for option in options] == [admin.organisation.name]
