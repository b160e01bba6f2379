"""Sign-in (password, then a second factor where the user has one or their role needs one),
sign-out, and the user's own account: password and authenticator app.

Between the password and the second factor nobody is signed in: the Flask session holds only
which user is half-way (``_PENDING``), for a few minutes, and no page but the second step opens.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..pages import attempt, page
from . import second_factor, services
from .forms import ChangePasswordForm, CodeForm, EnrolForm, SignInForm
from .models import User

bp = Blueprint("auth", __name__)

#: Flask-session key of a sign-in waiting for its second factor.
_PENDING = "pending_sign_in"
#: Flask-session key of the (encrypted) secret being set up, until its first code is typed.
_ENROLMENT = "second_factor_enrolment"
#: How long the second step may wait after the password.
_PENDING_SECONDS = 600


def _sign_in_limit() -> str:
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


def _account_limit() -> str:
    return str(current_app.config["SIGN_IN_ACCOUNT_RATE_LIMIT"])


def _second_factor_limit() -> str:
    return str(current_app.config["SECOND_FACTOR_RATE_LIMIT"])


def _typed_account() -> str:
    """The account as typed, normalised: counted the same whether or not it exists."""
    return services.normalise_email(request.form.get("email", ""))[:254]


def _account_and_address_key() -> str:
    return f"sign-in:{_typed_account()}|{request.remote_addr or ''}"


def _account_key() -> str:
    return f"sign-in-account:{_typed_account()}"


def _refused(response: Any) -> bool:
    """Only refused attempts count; a right password answers with a redirect."""
    return bool(response.status_code != 302)


def _second_factor_key() -> str:
    """Codes are counted per user, whichever step or address they come from."""
    pending = session.get(_PENDING) or {}
    if pending.get("user_id"):
        return f"second-factor:{pending['user_id']}"
    if current_user.is_authenticated:
        return f"second-factor:{current_user.id}"
    return f"second-factor-address:{request.remote_addr or ''}"


def _cipher() -> second_factor.SecretCipher:
    cipher: second_factor.SecretCipher = current_app.extensions["totp_cipher"]
    return cipher


def _needs_second_factor(user: User) -> bool:
    return user.has_second_factor or second_factor.required_for(
        user.role, current_app.config["SECOND_FACTOR_ROLES"]
    )


def _audit(user: User, action: str, **detail: Any) -> None:
    record_event(
        db.session,
        Actor.for_user(user, request.remote_addr or ""),
        action,
        record_type="user",
        record_id=user.id,
        detail=detail or None,
    )


def _password_fingerprint(user: User) -> str:
    """Changes when the password does, so a half-way sign-in ends with a password reset."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    _sign_in_limit, key_func=_account_and_address_key, methods=["POST"], deduct_when=_refused
)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_refused)
@page
def sign_in() -> ResponseReturnValue:
    form = SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_or_home(form.next.data))
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is None:
            form.email.errors.append("Email or password is incorrect")
            form.password.errors.append("Email or password is incorrect")
            return render_template("auth/sign_in.html", form=form), 200
        session.clear()  # a fresh session: nothing from before sign-in survives (fixation)
        if _needs_second_factor(user):
            session[_PENDING] = {
                "user_id": user.id,
                "at": time.time(),
                "next": form.next.data or "",
                "password": _password_fingerprint(user),
            }
            step = "auth.second_factor" if user.has_second_factor else "auth.set_up_second_factor"
            return redirect(url_for(step))
        _start_session(user, "password")
        return redirect(_after_sign_in(user, form.next.data))
    return render_template("auth/sign_in.html", form=form)


def _pending_user() -> User | None:
    """The user half-way through signing in, if the password step was recent."""
    pending = session.get(_PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > _PENDING_SECONDS:
        session.pop(_PENDING, None)
        return None
    user = db.session.get(User, int(pending.get("user_id", 0)))
    if user is None or not user.active or _password_fingerprint(user) != pending.get("password"):
        session.pop(_PENDING, None)
        return None
    return user


def _start_session(user: User, method: str) -> None:
    """Sign ``user`` in: a new server-side session, audited with the client's address."""
    session.clear()
    services.start_session(db.session, user, request.remote_addr or "")
    _audit(user, "user.sign_in", method=method)
    login_user(user)
    session.permanent = True


def _after_sign_in(user: User, target: str | None) -> str:
    if user.must_change_password:
        flash("Choose a new password to continue.", "info")
        return url_for("auth.change_password")
    return _next_or_home(target)


def _again() -> ResponseReturnValue:
    flash("Sign in again to continue.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in/code", endpoint="second_factor", methods=["GET", "POST"])
@limiter.limit(_second_factor_limit, key_func=_second_factor_key, methods=["POST"])
@page
def second_factor_step() -> ResponseReturnValue:
    user = _pending_user()
    if user is None:
        return _again()
    if not user.has_second_factor:
        return redirect(url_for("auth.set_up_second_factor"))
    form = CodeForm()
    if form.validate_on_submit():
        verified = attempt(
            lambda: second_factor.verify(db.session, _cipher(), user, form.code.data or ""),
            form,
            refuse=(second_factor.SecondFactorError,),
        )
        if not verified.done:
            # The refusal is audited after the attempt's rollback, and committed by the edge.
            _audit(user, "user.second_factor_refused")
            return render_template("auth/second_factor.html", form=form), 200
        method = verified.result
        assert method is not None  # done: verify said which code it accepted
        target = session[_PENDING].get("next")
        _start_session(user, method)
        if method == "recovery_code":
            left = second_factor.unused_recovery_codes(db.session, user)
            flash(
                f"You signed in with a recovery code; {left} left. If you lost your device, "
                "set up your authenticator app again from Your account.",
                "info",
            )
        return redirect(_after_sign_in(user, target))
    return render_template("auth/second_factor.html", form=form)


@bp.route("/account/second-factor", methods=["GET", "POST"])
@limiter.limit(_second_factor_limit, key_func=_second_factor_key, methods=["POST"])
@page
def set_up_second_factor() -> ResponseReturnValue:
    """Set up an authenticator app: half-way through signing in (the first time, or after an
    administrator reset it), or signed in, from Your account."""
    pending = _pending_user()
    user = pending or (current_user if current_user.is_authenticated else None)
    if user is None:
        return _again()
    if user.has_second_factor:
        return redirect(url_for("auth.second_factor" if pending else "auth.account"))
    enrolment = _enrolment_for(user)
    form = EnrolForm()
    if form.validate_on_submit():
        confirmed = attempt(
            lambda: second_factor.confirm_enrolment(
                db.session, _cipher(), user, enrolment.secret, form.code.data or "", None
            ),
            form,
            refuse=(second_factor.SecondFactorError,),
        )
        if not confirmed.done:
            return render_template(
                "auth/set_up_second_factor.html", form=form, enrolment=enrolment
            ), 200
        codes = confirmed.result
        _audit(user, "user.second_factor_set_up")
        if pending is not None:
            target = session[_PENDING].get("next")
            _start_session(user, "totp")
            after = _after_sign_in(user, target)
        else:
            session.pop(_ENROLMENT, None)
            after = url_for("auth.account")
        return render_template("auth/recovery_codes.html", codes=codes, after=after)
    return render_template("auth/set_up_second_factor.html", form=form, enrolment=enrolment)


def _enrolment_for(user: User) -> second_factor.Enrolment:
    """The secret offered to ``user``: the same one on every showing until it is confirmed."""
    kept = session.get(_ENROLMENT)
    secret = None
    if isinstance(kept, dict) and kept.get("user_id") == user.id:
        try:
            secret = _cipher().decrypt(str(kept.get("secret", "")))
        except second_factor.SecondFactorError:
            secret = None
    enrolment = second_factor.new_enrolment(user, current_app.config["TOTP_ISSUER"], secret)
    if secret is None:
        session[_ENROLMENT] = {"user_id": user.id, "secret": _cipher().encrypt(enrolment.secret)}
    return enrolment


@bp.route("/sign-out", methods=["POST"])
@page
def sign_out() -> ResponseReturnValue:
    token = current_user.get_id() if current_user.is_authenticated else None
    services.end_session(db.session, token)
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


# ----------------------------------------------------------------------------- your account


@bp.get("/account")
@page
def account() -> ResponseReturnValue:
    user: User = current_user
    return render_template(
        "auth/account.html",
        user=user,
        recovery_codes_left=second_factor.unused_recovery_codes(db.session, user),
        second_factor_required=second_factor.required_for(
            user.role, current_app.config["SECOND_FACTOR_ROLES"]
        ),
    )


@bp.post("/account/recovery-codes")
@page
def new_recovery_codes() -> ResponseReturnValue:
    """New recovery codes replace the old ones (all of which stop working)."""
    user: User = current_user
    if not user.has_second_factor:
        return redirect(url_for("auth.set_up_second_factor"))
    codes = second_factor.new_recovery_codes(db.session, user)
    _audit(user, "user.recovery_codes_replaced")
    return render_template("auth/recovery_codes.html", codes=codes, after=url_for("auth.account"))


def _password_change_key() -> str:
    return f"password-change:{current_user.id if current_user.is_authenticated else ''}"


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(_second_factor_limit, key_func=_password_change_key, methods=["POST"])
@page
def change_password() -> ResponseReturnValue:
    """Change your own password; your other signed-in sessions end."""
    user: User = current_user
    form = ChangePasswordForm()
    if form.validate_on_submit():
        changed = attempt(
            lambda: services.change_own_password(
                db.session,
                user,
                current=form.current_password.data or "",
                new=form.new_password.data or "",
                keep_token=user.get_id(),
            ),
            form,
            refuse=(services.UserError,),
        )
        if changed.done:
            _audit(user, "user.password_change")
            flash("Your password was changed. You were signed out everywhere else.", "success")
            return redirect(url_for("auth.account"))
    status = 422 if form.errors else 200
    return render_template("auth/change_password.html", form=form, user=user), status


def _next_or_home(target: str | None) -> str:
    return target if target and services.is_safe_next(target) else url_for("records.dashboard")
