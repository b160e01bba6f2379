"""Who may see which record: the single place the web pages and the API ask.

Every partner organisation may learn that a person's record exists. What it may see inside is
governed by the person's recorded views on sharing (``records.sharing``):

- shared (no view restricts the organisation): names, details, assessments, decisions,
  referrals and the timeline;
- not shared (the view in force for the organisation is *declined* or *withdrawn*): only that
  the record exists (name, CHI number, date of birth) and which organisation to contact, unless
  the acting user or API client broke the glass (a reason, audited, time-limited);
- administrators never see answers (need-to-know); they may read the "who has seen this record"
  list, as the route for the person's own request.

Anything the actor may not reach raises :class:`RecordNotFound` (the page answers 404, exactly as
for a record that does not exist); a role that may never do something raises
:class:`AccessDenied` (403), whatever the record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..auth.models import Role
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..partners.models import Organisation
from .models import BreakGlassGrant, Client, SharingView
from .services import RecordNotFound, record_key
from .sharing import active_grant, restriction_for


class AccessDenied(PermissionError):
    """The actor's role may not do this, whatever the record (the page answers 403)."""


@dataclass(frozen=True)
class RecordAccess:
    """What one actor may see of one client record, and why."""

    client: Client
    role: Role | None
    #: The sharing view in force that restricts the actor's organisation, if any.
    restriction: SharingView | None
    #: The actor's unexpired emergency access, if any.
    grant: BreakGlassGrant | None

    @property
    def shared(self) -> bool:
        return self.restriction is None

    @property
    def answers(self) -> bool:
        """Whether assessments, decisions, referrals and details may be shown."""
        return self.role is not Role.ADMINISTRATOR and (self.shared or self.grant is not None)

    @property
    def contact(self) -> Organisation | None:
        """The organisation to contact when the record is not shared with the actor's."""
        return self.restriction.recorded_by_organisation if self.restriction else None

    @property
    def may_read_access_log(self) -> bool:
        """Team managers who may see the record, and administrators (the person's request route)."""
        if self.role is Role.ADMINISTRATOR:
            return True
        return self.role is Role.TEAM_MANAGER and self.answers

    def audit_detail(self) -> dict[str, object]:
        if self.grant is not None and not self.shared:
            return {"break_glass": self.grant.id}
        if not self.answers:
            return {"restricted": True}
        return {}


def _load_client(session: Session, client_id: uuid.UUID | str) -> Client:
    client = session.scalar(
        select(Client)
        .where(Client.id == record_key(client_id))
        .options(joinedload(Client.organisation))
    )
    if client is None:
        raise RecordNotFound(str(client_id))
    return client


def access_to(session: Session, actor: Actor, client: Client) -> RecordAccess:
    """What ``actor`` may see of ``client`` (not audited: nothing is shown yet)."""
    restriction = restriction_for(session, client.id, actor.organisation_id)
    grant = active_grant(session, actor, client.id) if restriction is not None else None
    return RecordAccess(client, actor.role, restriction, grant)


def _open(
    session: Session,
    actor: Actor,
    client_id: uuid.UUID | str,
    action: str,
    allowed: Callable[[RecordAccess], bool],
) -> RecordAccess:
    client = _load_client(session, client_id)
    access = access_to(session, actor, client)
    if not allowed(access):
        raise RecordNotFound(str(client_id))
    record_event(
        session,
        actor,
        action,
        record_type="client",
        record_id=client.id,
        client_id=client.id,
        detail=access.audit_detail(),
    )
    return access


def open_record(
    session: Session, actor: Actor, client_id: uuid.UUID | str, *, action: str = "client.view"
) -> RecordAccess:
    """The record and the actor's access to it, audited as ``action``; RecordNotFound if absent."""
    return _open(session, actor, client_id, action, lambda _access: True)


def open_record_content(
    session: Session, actor: Actor, client_id: uuid.UUID | str, *, action: str
) -> RecordAccess:
    """For pages showing the record's content: AccessDenied for administrators, 404 unless shared
    (or the glass was broken)."""
    if actor.role is Role.ADMINISTRATOR:
        raise AccessDenied(action)
    return _open(session, actor, client_id, action, lambda access: access.answers)


def open_access_log(session: Session, actor: Actor, client_id: uuid.UUID | str) -> RecordAccess:
    """For the "who has seen this record" page: team managers who may see the record's content
    and administrators (the route for the person's own request); AccessDenied for assessors."""
    if actor.role not in (Role.TEAM_MANAGER, Role.ADMINISTRATOR):
        raise AccessDenied("client.access_log")
    return _open(
        session, actor, client_id, "client.access_log", lambda access: access.may_read_access_log
    )


def client_for(session: Session, actor: Actor, client_id: uuid.UUID | str) -> Client:
    """The client record as ``actor`` may see it, audited as a view; RecordNotFound otherwise.

    The record itself is returned even where it is not shared: ask :func:`may_see_answers`
    before showing anything but its existence, names, CHI number and date of birth.
    """
    return open_record(session, actor, client_id).client


def may_see_answers(session: Session, actor: Actor, client: Client) -> bool:
    """Whether ``actor`` may see assessments, answers, decisions and referrals about ``client``."""
    return access_to(session, actor, client).answers


__all__ = [
    "AccessDenied",
    "RecordAccess",
    "RecordNotFound",
    "access_to",
    "client_for",
    "may_see_answers",
    "open_access_log",
    "open_record",
    "open_record_content",
]
