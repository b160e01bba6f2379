"""The dashboard, finding a person, recording a new person, opening and editing their record.

The record's other pages (sharing views, break glass, timeline, who has seen it) are in
``records.record_views``, on the same blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..auth import roles_required
from ..auth.models import Role
from ..extensions import db, limiter
from ..pages import actor, attempt, page, show_refusal
from ..questionnaires import services as questionnaires
from . import access as access_rules
from . import services, sharing
from .forms import ClientForm, EditClientForm, FindForm
from .models import Client
from .parts import page_parts

bp = Blueprint("records", __name__)


#: The signed-in user acting from this request's address (``pages.actor``).
web_actor = _actor = actor


@bp.route("/")
@page
def dashboard() -> ResponseReturnValue:
    if getattr(current_user, "role", None) is Role.PARTNERSHIP_LEAD:
        # Their work is the partnership's counts; the dashboard lists people.
        return redirect(url_for("reports.index"))
    form = FindForm(request.args)
    known = access_rules.knows_identities(_actor())
    recent = services.recent_clients(db.session, current_user.organisation_id) if known else []
    published = questionnaires.published_versions(db.session)
    work = page_parts().work(db.session, _actor())
    return render_template(
        "records/dashboard.html", form=form, recent=recent, published=published, work=work
    )


def _refuse_partnership_leads() -> None:
    """A partnership lead knows nothing of any record (``kernel.policy``): finding or
    recording a person is not their work (403, as for any role a page is not for)."""
    if getattr(current_user, "role", None) is Role.PARTNERSHIP_LEAD:
        abort(403)


def _search_limit() -> str:
    return str(current_app.config["SEARCH_RATE_LIMIT"])


def _not_searching() -> bool:
    return not request.args.get("q") and not any(request.args.getlist("date_of_birth"))


def _per_user() -> str:
    return f"user:{current_user.get_id() or request.remote_addr}"


@bp.route("/people")
# Not for performance analysts (no "Find a person" in their menu): the policy shows them nobody,
# so the page told them "0 people found" for a person who is recorded, and offered to record
# them again.
@roles_required(Role.ASSESSOR, Role.TEAM_MANAGER, Role.ADMINISTRATOR)
@page
@limiter.limit(_search_limit, key_func=_per_user, exempt_when=_not_searching)
def find() -> ResponseReturnValue:
    """Search by CHI or name; each person shown as far as the access policy allows."""
    _refuse_partnership_leads()
    form = FindForm(request.args)
    results = None
    searched = bool(form.q.data) or form.date_of_birth.raw_data is not None
    if searched and form.validate():
        results = access_rules.search_records(
            db.session, _actor(), form.q.data or "", date_of_birth=form.date_of_birth.data
        )
    return render_template("records/find.html", form=form, results=results)


@bp.route("/people/new", methods=["GET", "POST"])
# Not for performance analysts: they open no one's record (and the duplicates check names people).
@roles_required(Role.ASSESSOR, Role.TEAM_MANAGER, Role.ADMINISTRATOR)
@page
def new_client() -> ResponseReturnValue:
    _refuse_partnership_leads()
    form = ClientForm()
    if request.method == "GET" and request.args.get("chi"):
        form.chi.data = request.args["chi"]
    duplicates: list[Client] = []
    existing = None
    if form.validate_on_submit():

        def create() -> Any:
            nonlocal duplicates
            clean = services.clean_details(_details(form))
            found = services.find_by_chi(db.session, clean.chi)
            if found is not None:
                raise services.DuplicateClientError(found)
            assert clean.date_of_birth is not None
            duplicates = services.likely_duplicates(
                db.session, clean.given_name, clean.family_name, clean.date_of_birth
            )
            if duplicates and not form.not_a_duplicate.data:
                form.checked_duplicates.data = "1"
                return None
            return services.create_client(db.session, _actor(), clean)

        done = attempt(create, form, field="chi")
        if isinstance(done.refusal, services.DuplicateClientError):
            existing = done.refusal.existing
        if done.result is not None:
            flash(f"Record created for {done.result.display_name}.", "success")
            return redirect(url_for("records.client", client_id=done.result.id))
    return render_template(
        "records/new_client.html", form=form, duplicates=duplicates, existing=existing
    )


@bp.route("/people/<client_id>")
@page
def client(client_id: str) -> ResponseReturnValue:
    """The record: in full where shared, otherwise that it exists and whom to contact."""
    try:
        access = access_rules.open_record(db.session, _actor(), client_id)
    except services.RecordNotFound:
        abort(404)
    context: dict[str, Any] = {"client": access.client, "access": access}
    if access.answers:
        context["assessments"] = page_parts().assessments(db.session, access.client.id)
        history = sharing.sharing_history(db.session, access.client.id)
        context["sharing"] = sharing.summarise(history)
        context["grants"] = sharing.grants_for(db.session, access.client.id)
    return render_template("records/client.html", **context)


def _details(form: ClientForm) -> services.ClientDetails:
    return services.ClientDetails(
        chi=form.chi.data or "",
        given_name=form.given_name.data or "",
        family_name=form.family_name.data or "",
        date_of_birth=form.date_of_birth.data,
        nhs_number=form.nhs_number.data or "",
        postcode=form.postcode.data or "",
        address=form.address.data or "",
        gp_practice=form.gp_practice.data or "",
        communication_needs=form.communication_needs.data or "",
    )


def _open_for_edit(client_id: str) -> access_rules.RecordAccess:
    try:
        return access_rules.open_record_for_writing(
            db.session, _actor(), client_id, action="client.view"
        )
    except services.RecordNotFound:
        abort(404)


@bp.route("/people/<client_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ASSESSOR, Role.TEAM_MANAGER)
@page
def edit_client(client_id: str) -> ResponseReturnValue:
    """Change the person's details; a stale save keeps the editor's changes and says so."""
    record = _open_for_edit(client_id).client
    form = EditClientForm()
    stale = False
    if request.method == "GET":
        details = services.details_of(record)
        for name in services.EDITABLE:
            getattr(form, name).data = getattr(details, name)
        form.version.data = record.version
    elif form.validate_on_submit():
        saved = attempt(
            lambda: services.update_client(
                db.session, _actor(), record, _details(form), expected_version=form.version.data
            )
        )
        if saved.done:
            flash("Details saved." if saved.result else "Nothing was changed.", "success")
            return redirect(url_for("records.client", client_id=record.id))
        record = _open_for_edit(client_id).client
        if isinstance(saved.refusal, services.StaleRecord):
            stale = True
            form.version.data = record.version
            form.version.raw_data = [str(record.version)]
        elif isinstance(saved.refusal, services.DuplicateClientError):
            other = saved.refusal.existing.display_name
            form.chi.errors.append(f"Another record ({other}) already has this CHI number")
        elif saved.refusal is not None:
            show_refusal(form, saved.refusal)
    return render_template("records/edit_client.html", form=form, client=record, stale=stale), (
        409 if stale else 200
    )
