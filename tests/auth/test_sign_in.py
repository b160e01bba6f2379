"""Signing in and out, sessions, CSRF and safe redirects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessment_engine.auth.models import UserSession
from assessment_engine.auth.services import is_safe_next


def test_pages_need_sign_in_except_the_sign_in_page_and_static_assets(client) -> None:
    for path in ("/", "/people", "/people/new"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in?next=")
    assert client.get("/sign-in").status_code == 200
    assert client.get("/static/src/app.scss").status_code == 200


def test_sign_in_with_the_right_password_shows_the_dashboard(client, factories) -> None:
    user = factories.user(role="assessor", org="nhs-tayside", name="Priya Shah")
    response = client.post_form(
        "/sign-in",
        {"email": user.email.upper(), "password": factories.PASSWORD},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dashboard" in html and "NHS Tayside" in html and "Priya Shah" in html


@pytest.mark.parametrize("email_known", [True, False])
def test_a_wrong_email_or_password_does_not_say_which(client, factories, email_known) -> None:
    user = factories.user()
    email = user.email if email_known else "nobody@example.org"
    response = client.post_form("/sign-in", {"email": email, "password": "wrong password!"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Email or password is incorrect" in html
    assert "There is a problem" in html
    assert "not found" not in html.lower()


def test_an_inactive_user_cannot_sign_in(client, factories) -> None:
    user = factories.user(active=False)
    response = client.post_form("/sign-in", {"email": user.email, "password": factories.PASSWORD})
    assert "Email or password is incorrect" in response.get_data(as_text=True)


def test_empty_fields_get_field_messages(client) -> None:
    html = client.post_form("/sign-in", {"email": "", "password": ""}).get_data(as_text=True)
    assert "Enter your email address" in html and "Enter your password" in html


def test_a_form_post_without_a_csrf_token_is_refused(client, factories) -> None:
    user = factories.user()
    response = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite_lax(client, factories) -> None:
    user = factories.user()
    response = client.post_form("/sign-in", {"email": user.email, "password": factories.PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "assessment_session" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "\\\\\\evil.example",
        "/\\evil.example",
        "https:evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/ok\nnext",
        "",
    ],
)
def test_next_is_never_followed_off_site(client, factories, target) -> None:
    user = factories.user()
    response = client.post_form(
        "/sign-in", {"email": user.email, "password": factories.PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_is_followed_to_a_local_page(client, factories) -> None:
    user = factories.user()
    response = client.post_form(
        "/sign-in", {"email": user.email, "password": factories.PASSWORD, "next": "/people?q=x"}
    )
    assert response.headers["Location"] == "/people?q=x"


def test_is_safe_next_unit() -> None:
    assert is_safe_next("/people/new")
    for bad in (
        "//evil.example",
        "\\\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "people",
        "/\t/evil.example",
        None,
    ):
        assert not is_safe_next(bad)


def test_sign_out_really_ends_the_session(client, factories, db_session) -> None:
    user = factories.user()
    client.post_form("/sign-in", {"email": user.email, "password": factories.PASSWORD})
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        stolen = dict(session)  # what an attacker who copied the cookie would replay

    response = client.post_form("/sign-out", follow_redirects=True)
    assert "You have signed out" in response.get_data(as_text=True)
    assert db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all() == []

    with client.session_transaction() as session:
        session.update(stolen)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_a_static_file_never_writes_the_session_cookie(client, login_as) -> None:
    # A page's stylesheet still being fetched when "Sign out" answered used to put back the
    # cookie the sign-out had cleared (a signed-in session is permanent: Flask refreshes its
    # cookie on every response), and the browser lost "You have signed out".
    login_as()
    page = client.get("/")
    assert page.status_code == 200
    assert any(c.startswith("assessment_session=") for c in page.headers.getlist("Set-Cookie"))
    static = client.get("/static/dist/app.css")
    assert static.status_code == 200
    assert static.headers.getlist("Set-Cookie") == []
    signed_out = client.post_form("/sign-out")
    assert signed_out.status_code == 302
    client.get("/static/dist/app.css")  # arriving after the sign-out: the cookie stays cleared
    assert "You have signed out" in client.get("/sign-in").get_data(as_text=True)


def test_sign_out_needs_a_post_with_csrf(client, login_as) -> None:
    login_as()
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_deactivating_a_user_ends_their_sessions(client, login_as, db_session) -> None:
    user = login_as()
    user.active = False
    db_session.flush()
    assert client.get("/").status_code == 302


def test_sign_in_is_rate_limited(app, client, factories) -> None:
    user = factories.user()
    app.config["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [
            client.post_form(
                "/sign-in",
                {"email": user.email, "password": "wrong-password"},
                environ_base={"REMOTE_ADDR": "10.9.8.7"},
            ).status_code
            for _ in range(4)
        ]
    finally:
        app.config["SIGN_IN_RATE_LIMIT"] = "1000 per minute"
    assert codes == [200, 200, 200, 429]


def _session_row(db_session, user) -> UserSession:
    return db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()


def test_a_session_is_touched_at_most_once_a_minute_and_the_touch_is_kept(
    client, login_as, db_session
) -> None:
    from datetime import timedelta

    user = login_as()
    row = _session_row(db_session, user)
    long_ago = row.last_seen_at - timedelta(minutes=5)
    row.last_seen_at = long_ago
    db_session.commit()
    assert client.get("/").status_code == 200
    db_session.expire_all()
    touched = _session_row(db_session, user).last_seen_at
    assert touched - long_ago >= timedelta(minutes=5)  # the request's time, committed
    assert client.get("/").status_code == 200
    db_session.expire_all()
    assert _session_row(db_session, user).last_seen_at == touched  # within the minute: as it was


def test_an_idle_session_is_ended_for_good(client, login_as, db_session) -> None:
    from datetime import timedelta

    user = login_as()
    row = _session_row(db_session, user)
    row.last_seen_at = row.last_seen_at - timedelta(minutes=61)  # SESSION_IDLE_MINUTES: 60
    db_session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    db_session.expire_all()
    assert db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all() == []


def test_a_signed_in_page_is_one_transaction(client, login_as) -> None:
    # Loading the user commits only a touch of the session (at most once a minute), so a page
    # commits once, at its end, with the audit of what it showed.
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    login_as()
    assert client.get("/").status_code == 200
    commits: list[object] = []
    listener = commits.append
    event.listen(Session, "after_commit", listener)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(Session, "after_commit", listener)
    assert len(commits) == 1
