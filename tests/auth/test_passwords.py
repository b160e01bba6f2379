"""Passwords: strong wherever one is set, changed by their owner, reset by an administrator
only through a temporary password that must be changed at the next sign-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from assessment_engine.auth import passwords
from assessment_engine.auth.models import UserSession
from assessment_engine.records.models import AuditEvent

from ..conftest import sign_in_with_code

NEW = "plum tractor lantern oboe"


@pytest.mark.parametrize(
    ("weak", "why"),
    [
        ("short", "12 characters or more"),
        ("aaaaaaaaaaaa", "harder to guess"),
        ("password1234", "most common passwords"),
        ("qwertyuiop123", "most common passwords"),
        ("zxcvbnmasdfgh", "harder to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(weak, why) -> None:
    with pytest.raises(passwords.WeakPassword, match=why):
        passwords.check(weak)


def test_a_password_made_of_the_persons_own_details_is_refused() -> None:
    passwords.check("morag.macleod2024", about=[])
    with pytest.raises(passwords.WeakPassword, match="your name or email address"):
        passwords.check(
            "morag.macleod2024", about=["morag.macleod@tayside.example", "Morag MacLeod"]
        )


def test_administrators_cannot_create_a_user_with_a_weak_password(client, login_as) -> None:
    login_as("administrator")
    html = client.post_form(
        "/admin/users/new",
        {
            "email": "weak@pkc.example",
            "name": "Weak Password",
            "password": "aaaaaaaaaaaa",
            "organisation": "1",
            "role": "assessor",
        },
    ).get_data(as_text=True)
    assert "harder to guess" in html


def test_the_command_line_refuses_a_weak_password(app, db_session) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "weak@pkc.example",
            "--name",
            "Weak",
            "--org",
            "perth-kinross-council",
            "--role",
            "assessor",
            "--password",
            "password1234",
        ]
    )
    assert result.exit_code != 0 and "most common passwords" in result.output


def test_a_user_changes_their_password_and_is_signed_out_elsewhere(
    app, client, factories, db_session
) -> None:
    user = factories.user("assessor")
    elsewhere = app.test_client()
    sign_in_with_code(elsewhere, factories, user)
    sign_in_with_code(client, factories, user)

    wrong = client.post_form(
        "/account/password",
        {"current_password": "not it at all", "new_password": NEW, "confirm_password": NEW},
    )
    assert wrong.status_code == 422
    assert "Your current password is not right" in wrong.get_data(as_text=True)
    weak = client.post_form(
        "/account/password",
        {
            "current_password": factories.PASSWORD,
            "new_password": "password1234",
            "confirm_password": "password1234",
        },
    )
    assert "most common passwords" in weak.get_data(as_text=True)
    mismatch = client.post_form(
        "/account/password",
        {"current_password": factories.PASSWORD, "new_password": NEW, "confirm_password": "x"},
    )
    assert "The two new passwords are not the same" in mismatch.get_data(as_text=True)

    done = client.post_form(
        "/account/password",
        {"current_password": factories.PASSWORD, "new_password": NEW, "confirm_password": NEW},
        follow_redirects=True,
    )
    assert "Your password was changed" in done.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still signed in here
    assert elsewhere.get("/").status_code == 302  # not there
    db_session.expire_all()
    assert (
        len(db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all())
        == 1
    )
    assert user.check_password(NEW)
    assert db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.password_change", AuditEvent.record_id == str(user.id)
        )
    )


def test_a_temporary_password_must_be_changed_at_sign_in(app, client, factories, db_session):
    nurse = factories.user("assessor")
    admin_client = app.test_client()
    admin = factories.user("administrator")
    sign_in_with_code(admin_client, factories, admin)
    page = admin_client.post_form(f"/admin/users/{nurse.id}/temporary-password")
    temporary = re.search(
        r'id="temporary-password"[^>]*value="([^"]+)"', page.get_data(as_text=True)
    )
    assert temporary, page.get_data(as_text=True)[:2000]
    temporary_password = temporary.group(1)
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.temporary_password")
    )
    assert event.user_id == admin.id and temporary_password not in str(event.detail)

    # The old password stopped working.
    old = client.post_form("/sign-in", {"email": nurse.email, "password": factories.PASSWORD})
    assert "Email or password is incorrect" in old.get_data(as_text=True)
    response = sign_in_with_code(client, factories, nurse, temporary_password)
    assert response.headers["Location"] == "/account/password"
    assert client.get("/people").headers["Location"] == "/account/password"
    client.post_form(
        "/account/password",
        {"current_password": temporary_password, "new_password": NEW, "confirm_password": NEW},
    )
    assert client.get("/people").status_code == 200


def test_an_administrator_of_another_organisation_cannot_reset_a_password(
    client, login_as, factories
):
    login_as("administrator", org="nhs-tayside")
    nurse = factories.user("assessor", org="perth-kinross-council")
    response = client.post_form(f"/admin/users/{nurse.id}/temporary-password")
    # Another organisation's users are outside the administrator's lane: not found, unchanged.
    assert response.status_code == 404
    assert nurse.check_password(factories.PASSWORD)
