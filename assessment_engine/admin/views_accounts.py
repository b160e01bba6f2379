"""Administration pages for organisations, users, services and API clients (routes of the
``admin`` blueprint, so the same administrators-only guard applies)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from ..api.models import ApiClient
from ..auth.models import Role, User
from ..extensions import db
from ..pages import attempt, page
from ..partners.models import Organisation, OrganisationKind, Service
from . import accounts
from .forms import (
    ApiClientForm,
    OrganisationEditForm,
    OrganisationForm,
    RoleForm,
    ServiceForm,
    ServiceTeamForm,
    UserForm,
)
from .views import actor, bp, draft_cache, version_cache


def _get(model: type, ident: int) -> Any:
    found = accounts.get(db.session, model, ident)
    if found is None:
        abort(404)
    return found


def _organisation_choices() -> list[SelectChoice]:
    return [SelectChoice(o.id, o.name) for o in accounts.organisations(db.session)]


def _own_organisation_choice() -> list[SelectChoice]:
    """Users and API clients are added to the administrator's own organisation only."""
    own = _get(Organisation, actor().own_organisation_id)
    return [SelectChoice(own.id, own.name)]


def _get_own(model: type[User | ApiClient], ident: int) -> Any:
    found = accounts.get_own(db.session, actor(), model, ident)
    if found is None:
        abort(404)
    return found


def _field_error(form: Any, error: accounts.AccountError) -> None:
    field = getattr(form, error.field, None) or form.submit
    field.errors = [*list(field.errors or []), error.message]


def _apply(
    form: Any, change: Callable[[], Any], done: Callable[[Any], str], target: str, **values: Any
) -> ResponseReturnValue | None:
    """An account change made from ``form``: on success say ``done(result)`` and go to
    ``target``; on an AccountError roll back, put its message at its field and return None (the
    view shows the form again). The page edge commits."""
    changed = attempt(change, refuse=(accounts.AccountError,))
    if isinstance(changed.refusal, accounts.AccountError):
        _field_error(form, changed.refusal)
        return None
    result = changed.result
    flash(done(result), "success")
    return redirect(url_for(target, **values))


# ---------------------------------------------------------------------------- organisations


@bp.get("/organisations")
@page
def organisations() -> ResponseReturnValue:
    return render_template(
        "admin/organisations.html", organisations=accounts.organisations(db.session)
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@page
def new_organisation() -> ResponseReturnValue:
    form = OrganisationForm()
    if form.validate_on_submit():
        done = _apply(
            form,
            lambda: accounts.create_organisation(
                db.session,
                actor(),
                slug=form.slug.data or "",
                name=form.name.data or "",
                kind=OrganisationKind(form.kind.data),
                contact=form.contact.data or "",
            ),
            lambda org: f"{org.name} was added.",
            "admin.organisations",
        )
        if done is not None:
            return done
    status = 422 if form.errors else 200
    return render_template("admin/form.html", form=form, title="Add an organisation"), status


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@page
def edit_organisation(org_id: int) -> ResponseReturnValue:
    org: Organisation = _get(Organisation, org_id)
    form = OrganisationEditForm(obj=org)
    if form.validate_on_submit():
        accounts.update_organisation(
            db.session, actor(), org, name=form.name.data or "", contact=form.contact.data or ""
        )
        flash("The organisation's details were saved.", "success")
        return redirect(url_for("admin.organisations"))
    status = 422 if form.errors else 200
    return render_template(
        "admin/form.html", form=form, title=f"Change {org.name}", caption=org.slug
    ), status


# ------------------------------------------------------------------------------------ users


@bp.get("/users")
@page
def users() -> ResponseReturnValue:
    return render_template("admin/users.html", users=accounts.users(db.session, actor()))


@bp.route("/users/new", methods=["GET", "POST"])
@page
def new_user() -> ResponseReturnValue:
    form = UserForm()
    form.organisation.choices = _own_organisation_choice()
    if form.validate_on_submit():
        org: Organisation = _get(Organisation, form.organisation.data)
        done = _apply(
            form,
            lambda: accounts.create_user(
                db.session,
                actor(),
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
                organisation=org,
                role=Role(form.role.data),
                job_title=form.job_title.data or "",
            ),
            lambda user: f"{user.name} can now sign in.",
            "admin.users",
        )
        if done is not None:
            return done
    status = 422 if form.errors else 200
    return render_template("admin/form.html", form=form, title="Add a user"), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@page
def user(user_id: int) -> ResponseReturnValue:
    """A user's details: change their role, deactivate or reactivate them."""
    found: User = _get_own(User, user_id)
    form = RoleForm(data={"role": found.role.value})
    if form.validate_on_submit():
        done = _apply(
            form,
            lambda: accounts.change_role(db.session, actor(), found, Role(form.role.data)),
            lambda _: f"{found.name} is now {found.role.label.lower()}.",
            "admin.user",
            user_id=user_id,
        )
        if done is not None:
            return done
    status = 422 if form.errors else 200
    return render_template("admin/user.html", user=found, form=form), status


@bp.post("/users/<int:user_id>/deactivate")
@page
def deactivate_user(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
@page
def reactivate_user(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool) -> ResponseReturnValue:
    return _change_user(
        user_id,
        lambda found: accounts.set_active(db.session, actor(), found, active),
        lambda found: (
            f"{found.name} can sign in again."
            if active
            else f"{found.name} is deactivated and signed out everywhere."
        ),
    )


def _change_user(
    user_id: int, change: Callable[[User], Any], done: Callable[[User], str]
) -> ResponseReturnValue:
    """A change to one user from a button on their page: commit and say ``done``, or roll back
    and say why not; back to their page either way."""
    found: User = _get_own(User, user_id)
    changed = attempt(lambda: change(found), refuse=(accounts.AccountError,))
    if isinstance(changed.refusal, accounts.AccountError):
        flash(changed.refusal.message, "info")
        return redirect(url_for("admin.user", user_id=user_id))
    flash(done(found), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/reset-second-factor")
@page
def reset_second_factor(user_id: int) -> ResponseReturnValue:
    return _change_user(
        user_id,
        lambda found: accounts.reset_second_factor(db.session, actor(), found),
        lambda found: (
            f"{found.name}'s authenticator app was reset and they were signed out everywhere. "
            "They set up the app again when they next sign in."
        ),
    )


@bp.post("/users/<int:user_id>/temporary-password")
@page
def temporary_password(user_id: int) -> ResponseReturnValue:
    """Issue a temporary password: in this one response and nowhere else."""
    found: User = _get_own(User, user_id)
    issued = attempt(
        lambda: accounts.issue_temporary_password(db.session, actor(), found),
        refuse=(accounts.AccountError,),
    )
    if isinstance(issued.refusal, accounts.AccountError):
        flash(issued.refusal.message, "info")
        return redirect(url_for("admin.user", user_id=user_id))
    return render_template("admin/temporary_password.html", user=found, password=issued.result)


# --------------------------------------------------------------------------------- services


@bp.get("/services")
@page
def services() -> ResponseReturnValue:
    return render_template("admin/services.html", services=accounts.services(db.session))


@bp.route("/services/new", methods=["GET", "POST"])
@page
def new_service() -> ResponseReturnValue:
    form = ServiceForm()
    form.organisation.choices = _organisation_choices()
    if form.validate_on_submit():
        org: Organisation = _get(Organisation, form.organisation.data)
        done = _apply(
            form,
            lambda: accounts.create_service(
                db.session,
                actor(),
                [version_cache(), draft_cache()],
                slug=form.slug.data or "",
                name=form.name.data or "",
                organisation=org,
                kind=OrganisationKind(form.kind.data),
                team_email=form.team_email.data or "",
            ),
            lambda service: f"{service.name} was added; rules can now refer to it.",
            "admin.services",
        )
        if done is not None:
            return done
    status = 422 if form.errors else 200
    return render_template("admin/form.html", form=form, title="Add a service"), status


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@page
def edit_service(service_id: int) -> ResponseReturnValue:
    found: Service = _get(Service, service_id)
    form = ServiceTeamForm(obj=found)
    if form.validate_on_submit():
        done = _apply(
            form,
            lambda: accounts.set_team_email(db.session, actor(), found, form.team_email.data or ""),
            lambda service: f"{service.name}'s team email address was saved.",
            "admin.services",
        )
        if done is not None:
            return done
    status = 422 if form.errors else 200
    return render_template(
        "admin/form.html", form=form, title=f"Change {found.name}", caption=found.slug
    ), status


@bp.post("/services/<int:service_id>/deactivate")
@page
def deactivate_service(service_id: int) -> ResponseReturnValue:
    return _set_service(service_id, False)


@bp.post("/services/<int:service_id>/reactivate")
@page
def reactivate_service(service_id: int) -> ResponseReturnValue:
    return _set_service(service_id, True)


def _set_service(service_id: int, active: bool) -> ResponseReturnValue:
    found: Service = _get(Service, service_id)
    accounts.set_service_active(
        db.session, actor(), [version_cache(), draft_cache()], found, active
    )
    flash(f"{found.name} is {'active' if active else 'deactivated'}.", "success")
    return redirect(url_for("admin.services"))


@bp.post("/services/<int:service_id>/personal-care")
@page
def set_personal_care(service_id: int) -> ResponseReturnValue:
    """Mark the service as personal care, or not (``personal_care`` is "1" or "0")."""
    found: Service = _get(Service, service_id)
    chosen = request.form.get("personal_care") == "1"
    accounts.set_personal_care(db.session, actor(), found, chosen)
    flash(
        f"{found.name} is {'' if chosen else 'not '}personal care: "
        f"{'the 6-week standard applies' if chosen else 'no 6-week clock'}.",
        "success",
    )
    return redirect(url_for("admin.services"))


@bp.route("/review-policy", methods=["GET", "POST"])
@page
def review_policy() -> ResponseReturnValue:
    """When the organisation's reviews of support fall due (``support.services``)."""
    from ..support import services as support
    from ..support.forms import ReviewPolicyForm

    me = actor()
    form = ReviewPolicyForm()
    if request.method == "GET":
        form.process(data=support.review_policy(db.session, me.own_organisation_id))
    elif form.validate_on_submit():
        days = {name: getattr(form, name).data for name in support.POLICY_FIELDS}
        saved = attempt(
            lambda: support.set_review_policy(db.session, me, me.own_organisation_id, days), form
        )
        if saved.done:
            flash("The review policy has been saved. New support plans follow it.", "success")
            return redirect(url_for("admin.review_policy"))
    return render_template("admin/review_policy.html", form=form), 422 if form.errors else 200


# ------------------------------------------------------------------------------ API clients


@bp.get("/api-clients")
@page
def api_clients() -> ResponseReturnValue:
    return render_template(
        "admin/api_clients.html", clients=accounts.api_clients(db.session, actor())
    )


@bp.route("/api-clients/new", methods=["GET", "POST"])
@page
def new_api_client() -> ResponseReturnValue:
    """Create a client; its token is in this one response and nowhere else."""
    form = ApiClientForm()
    form.organisation.choices = _own_organisation_choice()
    if form.validate_on_submit():
        org: Organisation = _get(Organisation, form.organisation.data)
        created = attempt(
            lambda: accounts.create_api_client(
                db.session, actor(), org, form.name.data or "", list(form.scopes.data or [])
            ),
            refuse=(accounts.AccountError,),
        )
        if isinstance(created.refusal, accounts.AccountError):
            _field_error(form, created.refusal)
        elif created.result is not None:
            issued = created.result
            current_app.logger.info("API client %s created", issued.client.id)
            return render_template(
                "admin/api_client_token.html", client=issued.client, token=issued.token
            )
    status = 422 if form.errors else 200
    return render_template("admin/form.html", form=form, title="Add an API client"), status


@bp.post("/api-clients/<int:client_id>/revoke")
@page
def revoke_api_client(client_id: int) -> ResponseReturnValue:
    found: ApiClient = _get_own(ApiClient, client_id)
    accounts.revoke_api_client(db.session, actor(), found)
    flash(f"{found.name}'s token no longer works.", "success")
    return redirect(url_for("admin.api_clients"))
