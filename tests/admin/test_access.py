"""Only administrators reach /admin: every route, for every other role, and for nobody."""

from __future__ import annotations

import pytest

from assessment_engine.auth.models import Role

from ..conftest import sign_in_with_code

MESSAGE = "00000000-0000-4000-8000-000000000001"
NON_ADMIN_ROLES = [role.value for role in Role if role is not Role.ADMINISTRATOR]
#: Every /admin route with sample arguments (a test below checks none is missing).
ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/questionnaires"),
    ("POST", "/admin/questionnaires/phq-9/drafts"),
    ("GET", "/admin/questionnaires/phq-9/versions/1"),
    ("POST", "/admin/questionnaires/phq-9/versions/1"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/publish"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/retire"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/delete"),
    ("GET", "/admin/questionnaires/phq-9/versions/1/preview"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/preview"),
    ("GET", "/admin/questionnaires/phq-9/versions/1/what-if"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/what-if"),
    # the rules and test-case builders (admin/views_rules.py)
    ("GET", "/admin/questionnaires/phq-9/versions/1/rules"),
    ("GET", "/admin/questionnaires/phq-9/versions/1/rules/sum"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/rules/sum"),
    ("GET", "/admin/questionnaires/phq-9/versions/1/rules/phq9-band/bands"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/rules/phq9-band/bands"),
    ("GET", "/admin/questionnaires/phq-9/versions/1/rules/flag"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/rules/flag"),
    ("GET", "/admin/questionnaires/phq-9/versions/1/rules/referral"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/rules/referral"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/rules/phq9-band/remove"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/rules/referrals/crisis/remove"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/cases/new"),
    ("POST", "/admin/questionnaires/phq-9/versions/1/cases/remove"),
    ("GET", "/admin/questionnaires/phq-9/compare"),
    ("GET", "/admin/questionnaires/phq-9/versions/1/export"),
    ("GET", "/admin/questionnaires/import"),
    ("POST", "/admin/questionnaires/import"),
    ("GET", "/admin/organisations"),
    ("GET", "/admin/organisations/new"),
    ("POST", "/admin/organisations/new"),
    ("GET", "/admin/organisations/1"),
    ("POST", "/admin/organisations/1"),
    ("GET", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/1"),
    ("POST", "/admin/users/1"),
    ("POST", "/admin/users/1/deactivate"),
    ("POST", "/admin/users/1/reactivate"),
    ("POST", "/admin/users/1/reset-second-factor"),
    ("POST", "/admin/users/1/temporary-password"),
    ("GET", "/admin/services"),
    ("GET", "/admin/services/new"),
    ("POST", "/admin/services/new"),
    ("GET", "/admin/services/1"),
    ("POST", "/admin/services/1"),
    ("POST", "/admin/services/1/deactivate"),
    ("POST", "/admin/services/1/reactivate"),
    ("POST", "/admin/services/1/personal-care"),
    ("GET", "/admin/review-policy"),
    ("POST", "/admin/review-policy"),
    ("GET", "/admin/api-clients"),
    ("GET", "/admin/api-clients/new"),
    ("POST", "/admin/api-clients/new"),
    ("POST", "/admin/api-clients/1/revoke"),
    ("GET", "/admin/notifications"),
    ("POST", f"/admin/notifications/{MESSAGE}/send-again"),
]


def test_every_admin_route_is_listed(app) -> None:
    listed = {path for _method, path in ROUTES}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            sample = (
                rule.rule.replace("<key>", "phq-9")
                .replace("<int:number>", "1")
                .replace("<int:org_id>", "1")
                .replace("<int:user_id>", "1")
                .replace("<int:service_id>", "1")
                .replace("<int:client_id>", "1")
                .replace("<uuid:message_id>", MESSAGE)
                .replace("<rule_id>", "phq9-band")
                .replace("<line_id>", "crisis")
            )
            assert sample in listed, f"{rule.rule} is not in the access test"


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_other_roles_get_403(client, login_as, role, method, path) -> None:
    login_as(role)
    response = client.get(path) if method == "GET" else client.post_form(path, {"revision": "1"})
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path"), ROUTES[:4])
def test_nobody_signed_in_is_sent_to_sign_in(client, method, path) -> None:
    response = client.get(path) if method == "GET" else client.post_form(path)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_administrators_reach_every_list_page(client, admin) -> None:
    for _method, path in ROUTES:
        # (the rules builders answer 409 on version 1: a published version never changes)
        builder = "/rules/" in path
        if _method == "GET" and not builder and not path.endswith(("/1", "/export", "/preview")):
            assert client.get(path).status_code == 200, path


def test_only_administrators_see_the_administration_link(client, login_as) -> None:
    login_as("assessor")
    assert "Administration" not in client.get("/").get_data(as_text=True)
    client.post_form("/sign-out")
    login_as("administrator")
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/admin/"' in response.get_data(as_text=True)


def test_a_role_change_holds_from_the_next_request(app, client, login_as, factories) -> None:
    """Roles are read on every request, not kept in the signed-in session: demoted, an
    administrator loses /admin at once; promoted, a user must first set up the second factor
    their new role needs, then reaches /admin."""
    demoted = login_as("administrator")
    assert client.get("/admin/users").status_code == 200
    other_admin = app.test_client()
    chief = factories.user("administrator")
    sign_in_with_code(other_admin, factories, chief)
    changed = other_admin.post_form(f"/admin/users/{demoted.id}", {"role": "team_manager"})
    assert changed.status_code == 302
    assert client.get("/admin/users").status_code == 403
    assert client.get("/referrals").status_code == 200

    promoted = factories.user("assessor")
    promoted_client = app.test_client()
    sign_in_with_code(promoted_client, factories, promoted)
    assert promoted_client.get("/admin/users").status_code == 403
    other_admin.post_form(f"/admin/users/{promoted.id}", {"role": "administrator"})
    response = promoted_client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/second-factor"
    factories.enrol(promoted)
    assert promoted_client.get("/admin/users").status_code == 200
