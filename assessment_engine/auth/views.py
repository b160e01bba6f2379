"""Sign-in and sign-out pages."""

from __future__ import annotations

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
from . import services
from .forms import SignInForm

bp = Blueprint("auth", __name__)


def _sign_in_limit() -> str:
    return str(current_app.config["SIGN_IN_RATE_LIMIT"])


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
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
        services.start_session(db.session, user, request.remote_addr or "")
        db.session.commit()
        login_user(user)
        session.permanent = True
        return redirect(_next_or_home(form.next.data))
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> ResponseReturnValue:
    token = current_user.get_id() if current_user.is_authenticated else None
    services.end_session(db.session, token)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


def _next_or_home(target: str | None) -> str:
    return target if target and services.is_safe_next(target) else url_for("records.dashboard")
