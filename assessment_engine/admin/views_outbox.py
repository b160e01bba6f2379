"""The notifications that have not reached their teams, for administrators: what failed for
good (a service without a team address, a mail server that refused it) and what waits to be
tried again, with a second go once the cause is mended. Counts and kinds only, as the outbox
keeps them: never a person."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from ..extensions import db
from ..notifications import outbox
from ..pages import attempt, page
from .views import actor, bp


@bp.get("/notifications")
@page
def notifications() -> ResponseReturnValue:
    return render_template("admin/notifications.html", messages=outbox.undelivered(db.session))


@bp.post("/notifications/<uuid:message_id>/send-again")
@page
def send_again(message_id: uuid.UUID) -> ResponseReturnValue:
    tried = attempt(
        lambda: outbox.send_again(db.session, actor(), message_id),
        refuse=(outbox.NotSentAgain,),
    )
    if tried.refusal is not None:
        flash(str(tried.refusal), "error")
    else:
        flash("The notification will be sent again when the scheduled jobs next run.", "success")
    return redirect(url_for("admin.notifications"))
