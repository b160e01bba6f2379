"""Staff users, their roles, signing in and out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, flash, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import current_user

from ..config import ConfigurationError
from ..extensions import db, login_manager
from .models import Role

#: Endpoints reachable without signing in. The JSON API authenticates by token instead.
PUBLIC_ENDPOINTS = frozenset(
    {"auth.sign_in", "auth.second_factor", "auth.set_up_second_factor", "static", "health"}
)
#: What a signed-in user who must first change their password or set up a second factor reaches.
_ALWAYS_OPEN = frozenset({"auth.sign_out", "auth.change_password", "auth.set_up_second_factor"})

P = ParamSpec("P")
R = TypeVar("R")


def _check_second_factor_roles(roles: Any) -> None:
    """Start-up refuses a ``SECOND_FACTOR_ROLES`` that names no known role."""
    known = {role.value for role in Role}
    if not isinstance(roles, list) or not all(isinstance(r, str) and r in known for r in roles):
        raise ConfigurationError(
            "ASSESSMENT_SECOND_FACTOR_ROLES must be a JSON list of roles from "
            f'{sorted(known)}, like ["administrator", "team_manager"].'
        )


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, never written back by a static file's response.

    Flask sets the cookie of a session that changed on any response, static files included
    (and, with SESSION_REFRESH_EACH_REQUEST, a permanent one's on every response). A
    stylesheet or script of the page before "Sign out", still being fetched when the
    sign-out's response came, then put back the cookie the sign-out had cleared, with the "You
    have signed out" message lost (the server-side session row had ended, so it signed no one
    in). Static files never change the session: their responses leave it."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if request.endpoint == "static":
            return False
        return super().should_set_cookie(app, session)


def init_app(app: Flask) -> None:
    from . import second_factor, services

    app.session_interface = _SessionInterface()
    from .views import bp

    _check_second_factor_roles(app.config["SECOND_FACTOR_ROLES"])

    app.extensions["totp_cipher"] = second_factor.SecretCipher(
        str(app.config["TOTP_ENCRYPTION_KEY"]).split(",")
    )
    app.register_blueprint(bp)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are server-side rows; see auth.services

    idle = timedelta(minutes=int(app.config["SESSION_IDLE_MINUTES"]))
    absolute = timedelta(hours=int(app.config["SESSION_ABSOLUTE_HOURS"]))
    app.permanent_session_lifetime = absolute

    def _load_user(token: str) -> Any:
        user = services.load_session_user(db.session, token, idle=idle, absolute=absolute)
        if db.session.dirty or db.session.deleted:
            # The session's last-seen time, or the removal of an expired one, committed now
            # (whatever the request does next). Otherwise nothing to commit: the request goes
            # on in the same transaction (one commit, not two, for most requests).
            db.session.commit()
        return user

    # Called, not used as a decorator: Flask-Login has no type hints, and mypy would call the
    # decorated function untyped.
    login_manager.user_loader(_load_user)

    @app.before_request
    def _require_sign_in() -> Any:
        endpoint = request.endpoint or ""
        if endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("api.") or endpoint == "":
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if endpoint in _ALWAYS_OPEN:
            return None
        # Checked on every request, so a temporary password, a role that now needs a second
        # factor, or a reset second factor holds from the next request on.
        if current_user.must_change_password:
            flash("Choose a new password to continue.", "info")
            return redirect(url_for("auth.change_password"))
        if not current_user.has_second_factor and second_factor.required_for(
            current_user.role, app.config["SECOND_FACTOR_ROLES"]
        ):
            flash(
                "Your role needs a second factor: set up an authenticator app to continue.", "info"
            )
            return redirect(url_for("auth.set_up_second_factor"))
        return None


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Route decorator: 403 unless the signed-in user has one of ``roles``."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated or not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
