"""The record's own pages: sharing views, emergency access, the timeline and who has seen it.

Thin: each asks ``records.access`` (which audits the view) and a service, then renders.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from ..auth import roles_required
from ..auth.models import Role
from ..extensions import db
from ..kernel.audit import ACTION_LABELS, client_events
from ..pages import attempt, page
from . import access as access_rules
from . import sharing
from .forms import BreakGlassForm, SharingViewForm
from .parts import page_parts
from .services import RecordNotFound
from .views import bp, web_actor

_WORKERS = (Role.ASSESSOR, Role.TEAM_MANAGER)
#: Entries per page of "who has seen this record".
SEEN_BY_PAGE = 100


@bp.route("/people/<client_id>/sharing", methods=["GET", "POST"])
@roles_required(*_WORKERS)
@page
def sharing_views(client_id: str) -> ResponseReturnValue:
    """The person's views on sharing, with their history, and a form to record a new one."""
    actor = web_actor()

    def open_record() -> access_rules.RecordAccess:
        try:
            return access_rules.open_record_content(
                db.session, actor, client_id, action="sharing.view"
            )
        except RecordNotFound:
            abort(404)

    access = open_record()
    form = SharingViewForm()
    partners = sharing.partner_choices(db.session, actor)
    form.partners.choices = [SelectChoice(str(org.id), org.name) for org in partners]
    if form.validate_on_submit():
        recorded = attempt(
            lambda: sharing.record_sharing_view(
                db.session,
                actor,
                access.client,
                status=form.status.data or "",
                stated_on=form.stated_on.data,
                partner_ids=form.partners.data or [],
                notes=form.notes.data or "",
            ),
            form,
        )
        if recorded.done:
            flash("The person's view on sharing has been recorded.", "success")
            return redirect(url_for("records.client", client_id=access.client.id))
        access = open_record()
    history = sharing.sharing_history(db.session, access.client.id)
    return render_template(
        "records/sharing.html",
        client=access.client,
        form=form,
        history=history,
        summary=sharing.summarise(history),
        lifted=sharing.lifted_restrictions(db.session, access.client.id, actor.own_organisation_id),
    )


@bp.route("/people/<client_id>/break-glass", methods=["GET", "POST"])
@roles_required(*_WORKERS)
@page
def break_glass(client_id: str) -> ResponseReturnValue:
    """Emergency access to a record the person did not share with this organisation."""
    actor = web_actor()

    def open_record() -> access_rules.RecordAccess:
        try:
            return access_rules.open_record(db.session, actor, client_id)
        except RecordNotFound:
            abort(404)

    access = open_record()
    if access.shared or access.grant is not None:
        return redirect(url_for("records.client", client_id=access.client.id))
    form = BreakGlassForm()
    if form.validate_on_submit():
        broken = attempt(
            lambda: sharing.break_glass(db.session, actor, access.client, form.reason.data or ""),
            form,
            field="reason",
        )
        if broken.result is not None:
            flash(
                "You have emergency access to this record until "
                f"{broken.result.expires_at:%H:%M} UTC. Your reason has been recorded on it.",
                "success",
            )
            return redirect(url_for("records.client", client_id=access.client.id))
        access = open_record()
    hours = int(sharing.BREAK_GLASS_DURATION.total_seconds() // 3600)
    return render_template(
        "records/break_glass.html", client=access.client, access=access, form=form, hours=hours
    )


@bp.route("/people/<client_id>/timeline")
@roles_required(*_WORKERS)
@page
def timeline(client_id: str) -> ResponseReturnValue:
    """Every assessment, decision, override, referral and amendment, newest first."""
    try:
        access = access_rules.open_record_content(
            db.session, web_actor(), client_id, action="client.timeline"
        )
    except RecordNotFound:
        abort(404)
    entries = page_parts().timeline(db.session, access.client.id)
    return render_template("records/timeline.html", client=access.client, entries=entries)


@bp.route("/people/<client_id>/seen-by")
@roles_required(Role.TEAM_MANAGER, Role.ADMINISTRATOR)
@page
def seen_by(client_id: str) -> ResponseReturnValue:
    """Who has seen this record: every access and change, with organisation, time and address."""
    try:
        access = access_rules.open_access_log(db.session, web_actor(), client_id)
    except RecordNotFound:
        abort(404)
    before = request.args.get("before", type=int)
    events = client_events(db.session, access.client.id, SEEN_BY_PAGE + 1, before=before)
    older = events[SEEN_BY_PAGE - 1].id if len(events) > SEEN_BY_PAGE else None
    return render_template(
        "records/seen_by.html",
        client=access.client,
        events=events[:SEEN_BY_PAGE],
        older=older,
        paged=before is not None,
        labels=ACTION_LABELS,
    )
