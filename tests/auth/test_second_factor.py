"""The second factor: enrolment at first sign-in, codes once only, recovery codes, the roles
that need it, resets by an administrator, and the limit on guesses."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from assessment_engine.auth import second_factor
from assessment_engine.auth.models import RecoveryCode, Role, UserSession
from assessment_engine.records.models import AuditEvent

from ..conftest import sign_in_with_code


def _actions(db_session, user) -> list[str]:
    return list(
        db_session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.record_type == "user", AuditEvent.record_id == str(user.id))
            .order_by(AuditEvent.id)
        )
    )


def _password(client, factories, user):
    return client.post_form("/sign-in", {"email": user.email, "password": factories.PASSWORD})


def test_an_administrator_sets_up_the_app_at_first_sign_in(app, client, factories, db_session):
    admin = factories.user("administrator", second_factor=False)
    response = _password(client, factories, admin)
    assert response.headers["Location"] == "/account/second-factor"
    # Half-way, nothing else opens.
    assert client.get("/").headers["Location"].startswith("/sign-in")
    assert client.get("/admin/").headers["Location"].startswith("/sign-in")

    html = client.get("/account/second-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html and "QR code" in html
    key = re.search(r'id="second-factor-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    # The same key on every showing until it is confirmed.
    again = client.get("/account/second-factor").get_data(as_text=True)
    assert key.replace(" ", "") in again.replace(" ", "")

    wrong = client.post_form("/account/second-factor", {"code": "000000"})
    assert "The code is not right" in wrong.get_data(as_text=True)

    done = client.post_form("/account/second-factor", {"code": pyotp.TOTP(key).now()})
    html = done.get_data(as_text=True)
    assert "Save your recovery codes" in html
    codes = re.findall(r'<code class="app-code">([a-z0-9-]+)</code>', html)
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200

    db_session.expire_all()
    assert admin.totp_secret and key not in admin.totp_secret  # stored encrypted
    assert app.extensions["totp_cipher"].decrypt(admin.totp_secret) == key
    stored = set(db_session.scalars(select(RecoveryCode.code_hash)))
    assert not any(code.replace("-", "") in stored or code in stored for code in codes)
    assert _actions(db_session, admin) == ["user.second_factor_set_up", "user.sign_in"]


def test_a_code_is_accepted_once_and_a_wrong_one_not_at_all(client, factories, db_session):
    admin = factories.user("administrator")
    assert _password(client, factories, admin).headers["Location"] == "/sign-in/code"
    wrong = client.post_form("/sign-in/code", {"code": "123456"})
    assert "The code is not right" in wrong.get_data(as_text=True)
    code = factories.code(admin)
    assert client.post_form("/sign-in/code", {"code": code}).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post_form("/sign-out")

    _password(client, factories, admin)
    reused = client.post_form("/sign-in/code", {"code": code})
    assert "used already" in reused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert "user.second_factor_refused" in _actions(db_session, admin)


def test_a_recovery_code_signs_in_once(client, factories):
    admin = factories.user("administrator")
    code = factories.recovery_codes[admin.id][0]
    _password(client, factories, admin)
    response = client.post_form("/sign-in/code", {"code": code.upper()}, follow_redirects=True)
    assert "You signed in with a recovery code; 9 left" in response.get_data(as_text=True)
    client.post_form("/sign-out")
    _password(client, factories, admin)
    again = client.post_form("/sign-in/code", {"code": code})
    assert "The recovery code is not right or was used already" in again.get_data(as_text=True)


def test_guessing_codes_is_limited_per_user(app, client, factories):
    admin = factories.user("administrator")
    _password(client, factories, admin)
    app.config["SECOND_FACTOR_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [
            client.post_form("/sign-in/code", {"code": f"00000{n}"}).status_code for n in range(4)
        ]
    finally:
        app.config["SECOND_FACTOR_RATE_LIMIT"] = "1000 per minute"
    assert statuses == [200, 200, 200, 429]


def test_other_roles_may_choose_a_second_factor(client, factories, db_session):
    nurse = factories.user("assessor")
    assert _password(client, factories, nurse).headers["Location"] == "/"
    html = client.get("/account").get_data(as_text=True)
    assert "Not set up (optional for your role)" in html
    page = client.get("/account/second-factor").get_data(as_text=True)
    key = re.search(r'id="second-factor-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    client.post_form("/account/second-factor", {"code": pyotp.TOTP(key).now()})
    client.post_form("/sign-out")
    # From now on they give a code too.
    assert _password(client, factories, nurse).headers["Location"] == "/sign-in/code"


def test_the_roles_that_need_it_are_configurable(app, client, factories):
    app.config["SECOND_FACTOR_ROLES"] = ["administrator", "team_manager", "assessor"]
    try:
        nurse = factories.user("assessor", second_factor=False)
        location = _password(client, factories, nurse).headers["Location"]
    finally:
        app.config["SECOND_FACTOR_ROLES"] = ["administrator", "team_manager"]
    assert location == "/account/second-factor"


def test_a_role_that_now_needs_it_sets_it_up_at_the_next_request(client, factories, db_session):
    user = factories.user("assessor")
    sign_in_with_code(client, factories, user)
    assert client.get("/").status_code == 200
    user.role = Role.TEAM_MANAGER
    db_session.flush()
    response = client.get("/referrals")
    assert response.status_code == 302 and response.headers["Location"] == "/account/second-factor"


def test_an_administrator_resets_a_lost_device_in_their_own_organisation(
    client, factories, db_session, app
):
    manager = factories.user("team_manager")
    other_client = app.test_client()
    sign_in_with_code(other_client, factories, manager)
    admin = factories.user("administrator")
    sign_in_with_code(client, factories, admin)

    outsider = factories.user("team_manager", org="nhs-tayside")
    refused = client.post_form(f"/admin/users/{outsider.id}/reset-second-factor")
    # Another organisation's users are outside the administrator's lane: not found, unchanged.
    assert refused.status_code == 404
    assert outsider.has_second_factor

    response = client.post_form(
        f"/admin/users/{manager.id}/reset-second-factor", follow_redirects=True
    )
    assert "authenticator app was reset" in response.get_data(as_text=True)
    db_session.expire_all()
    assert manager.totp_secret is None
    assert (
        db_session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == manager.id)).all()
        == []
    )
    assert (
        db_session.scalars(select(UserSession).where(UserSession.user_id == manager.id)).all() == []
    )
    assert other_client.get("/").status_code == 302  # signed out
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.second_factor_reset")
    )
    assert event.user_id == admin.id and event.record_id == str(manager.id)
    # At the next sign-in they set the app up again.
    assert (
        _password(other_client, factories, manager).headers["Location"] == "/account/second-factor"
    )


def test_a_code_from_the_previous_step_is_refused_after_a_later_one(db_session, factories, app):
    admin = factories.user("administrator")
    cipher = app.extensions["totp_cipher"]
    secret = factories.phones[admin.id].secret
    totp = pyotp.TOTP(secret)
    now = time.time() + 120  # well after the enrolment's step
    assert second_factor.verify(db_session, cipher, admin, totp.at(now), now) == "totp"
    earlier = totp.at(now - 30)
    with pytest.raises(second_factor.SecondFactorError) as refused:
        second_factor.verify(db_session, cipher, admin, earlier, now)
    assert "used already" in refused.value.message


def test_secrets_need_the_configured_key(app, factories):
    admin = factories.user("administrator")
    other = second_factor.SecretCipher([second_factor.Fernet.generate_key().decode()])
    with pytest.raises(second_factor.SecondFactorError) as refused:
        other.decrypt(admin.totp_secret)
    assert "reset your second factor" in refused.value.message


def test_the_command_line_resets_a_lost_device_when_no_administrator_can(
    app, factories, db_session
):
    admin = factories.user("administrator")
    factories.settle()
    result = app.test_cli_runner().invoke(args=["reset-second-factor", "--email", admin.email])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert admin.totp_secret is None
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.second_factor_reset")
    )
    assert event.actor == "cli" and event.record_id == str(admin.id)
    missing = app.test_cli_runner().invoke(args=["reset-second-factor", "--email", "no@x.example"])
    assert missing.exit_code != 0 and "There is no user" in missing.output
