"""The dashboard, finding a person, recording a new person and opening their record."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..auth.actor import Actor
from ..extensions import db
from ..questionnaires import services as questionnaires
from . import services
from .forms import ClientForm, FindForm

bp = Blueprint("records", __name__)


def _actor() -> Actor:
    return Actor.for_user(current_user, request.remote_addr or "")


@bp.route("/")
def dashboard() -> ResponseReturnValue:
    form = FindForm(request.args)
    recent = services.recent_clients(db.session, current_user.organisation_id)
    published = questionnaires.published_versions(db.session)
    return render_template("records/dashboard.html", form=form, recent=recent, published=published)


@bp.route("/people")
def find() -> ResponseReturnValue:
    form = FindForm(request.args)
    results = None
    if form.q.data and form.validate():
        results = services.search_clients(db.session, _actor(), form.q.data)
        db.session.commit()
    return render_template("records/find.html", form=form, results=results)


@bp.route("/people/new", methods=["GET", "POST"])
def new_client() -> ResponseReturnValue:
    form = ClientForm()
    if request.method == "GET" and request.args.get("chi"):
        form.chi.data = request.args["chi"]
    duplicates: list = []
    existing = None
    if form.validate_on_submit():
        details = services.ClientDetails(
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
        try:
            clean = services.clean_details(details)
            existing = services.find_by_chi(db.session, clean.chi)
            if existing is not None:
                raise services.DuplicateClientError(existing)
            assert clean.date_of_birth is not None
            duplicates = services.likely_duplicates(
                db.session, clean.given_name, clean.family_name, clean.date_of_birth
            )
            if duplicates and not form.not_a_duplicate.data:
                form.checked_duplicates.data = "1"
            else:
                client = services.create_client(db.session, _actor(), clean)
                db.session.commit()
                flash(f"Record created for {client.display_name}.", "success")
                return redirect(url_for("records.client", client_id=client.id))
        except services.ClientValidationError as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name).errors.append(message)
        except services.DuplicateClientError as exc:
            db.session.rollback()
            existing = exc.existing
            form.chi.errors.append("A record with this CHI number already exists")
    return render_template(
        "records/new_client.html", form=form, duplicates=duplicates, existing=existing
    )


@bp.route("/people/<client_id>")
def client(client_id: str) -> ResponseReturnValue:
    try:
        record = services.open_client(db.session, _actor(), client_id)
    except services.RecordNotFound:
        abort(404)
    db.session.commit()
    return render_template("records/client.html", client=record)
