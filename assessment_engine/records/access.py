"""Who may see which record: the facts the access policy needs, gathered for one client record.

The rules themselves are in :mod:`assessment_engine.kernel.policy` (plain facts in, a decision
out); this module reads the facts (the actor, the record's owner, the person's sharing view in
force for the actor's organisation, the actor's emergency access), asks the policy, audits what
was shown and hands back a :class:`RecordAccess`. Pages and the API call the same functions.

Anything the actor may not reach raises :class:`RecordNotFound` (the page answers 404, the API
404, exactly as for a record that does not exist); a role that may never do something raises
:class:`AccessDenied` (403), whatever the record. Each refusal on an existing record is noted
as a refused attempt (:func:`refuse`), which the edges audit after the request rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import joinedload

from ..db import DbSession
from ..kernel import policy
from ..kernel.actor import Actor, Role
from ..kernel.audit import link_clients, note_refusal, record_event
from ..partners.models import Organisation
from .models import BreakGlassGrant, Client, SharingView
from .services import RecordNotFound, is_chi_search, record_key, search_clients
from .sharing import active_grant, newest_view_id, view_in_force, views_in_force


class AccessDenied(PermissionError):
    """The actor's role may not do this, whatever the record (the page answers 403)."""


def actor_facts(actor: Actor, *, break_glass: bool = False) -> policy.ActorFacts:
    """The policy's view of an actor."""
    if actor.is_partner_system:
        kind = policy.ActorKind.PARTNER_SYSTEM
    elif actor.user_id is None:
        kind = policy.ActorKind.COMMAND_LINE
    else:
        kind = policy.ActorKind.USER
    role = actor.role.value if actor.role is not None else None
    return policy.ActorFacts(kind, actor.own_organisation_id, role, break_glass)


def _sharing(view: SharingView | None) -> policy.Sharing:
    return policy.Sharing.NO_VIEW if view is None else policy.Sharing(view.status.value)


@dataclass(frozen=True)
class RecordAccess:
    """What one actor may see of one client record, and why."""

    client: Client
    role: Role | None
    #: The sharing view in force that restricts the actor's organisation, if any.
    restriction: SharingView | None
    #: The actor's unexpired emergency access, if any.
    grant: BreakGlassGrant | None
    actor: policy.ActorFacts
    facts: policy.RecordFacts
    decision: policy.Decision

    @property
    def shared(self) -> bool:
        return self.restriction is None

    @property
    def details(self) -> bool:
        """Whether address, postcode, GP practice, NHS number and needs may be shown."""
        return self.decision.allows(policy.Level.DETAILS)

    @property
    def answers(self) -> bool:
        """Whether assessments, decisions, referrals and the timeline may be shown."""
        return self.decision.allows(policy.Level.CONTENT)

    @property
    def restricted(self) -> bool:
        return self.decision.restricted

    @property
    def contact(self) -> Organisation | None:
        """The organisation to contact when the record is not shared with the actor's."""
        return self.restriction.recorded_by_organisation if self.restriction else None

    @property
    def may_read_access_log(self) -> bool:
        """Team managers who may see the record, and administrators (the person's request route)."""
        return policy.may_read_access_log(self.actor, self.facts)

    @property
    def may_write(self) -> bool:
        return self.decision.may_write_record

    @property
    def may_start_assessment(self) -> bool:
        return self.decision.may_start_assessment

    def audit_detail(self) -> dict[str, object]:
        detail = self.decision.audit_detail()
        if self.decision.break_glass and self.grant is not None:
            detail["break_glass"] = self.grant.id
        return detail


def _load_client(session: DbSession, client_id: uuid.UUID | str) -> Client:
    client = session.scalar(
        select(Client)
        .where(Client.id == record_key(client_id))
        .options(joinedload(Client.organisation))
    )
    if client is None:
        raise RecordNotFound(str(client_id))
    return client


@cache
def _client_and_view_statement() -> Select[Client, SharingView]:
    """:func:`_load_client_and_view`'s statement, built once (its values are bound)."""
    return (
        select(Client, SharingView)
        .outerjoin(
            SharingView,
            SharingView.id
            == newest_view_id(Client.id, bindparam("organisation_id", type_=Integer)),
        )
        .where(Client.id == bindparam("client_id", type_=Client.id.type))
        .options(joinedload(Client.organisation), joinedload(SharingView.recorded_by_organisation))
    )


def _load_client_and_view(
    session: DbSession, client_id: uuid.UUID | str, organisation_id: int
) -> tuple[Client, SharingView | None]:
    """:func:`_load_client` and the sharing view in force for ``organisation_id``
    (``sharing.view_in_force``, as ``sharing.newest_view_id`` says it in SQL) in one statement."""
    key = record_key(client_id)
    row = session.execute(
        _client_and_view_statement(), {"client_id": key, "organisation_id": organisation_id}
    ).first()
    if row is None:
        raise RecordNotFound(str(client_id))
    return row[0], row[1]


def access_to(session: DbSession, actor: Actor, client: Client) -> RecordAccess:
    """What ``actor`` may see of ``client`` (not audited: nothing is shown yet)."""
    return _decide(
        session, actor, client, view_in_force(session, client.id, actor.own_organisation_id)
    )


def access_given(
    session: DbSession, actor: Actor, client: Client, view: SharingView | None
) -> RecordAccess:
    """:func:`access_to`, with the view in force (``sharing.view_in_force`` for the actor's
    organisation) already read, in the statement that read the record
    (``sharing.newest_view_id``): the same decision, one round trip fewer."""
    return _decide(session, actor, client, view)


def answers_visible(session: DbSession, actor: Actor, clients: Iterable[Client]) -> set[uuid.UUID]:
    """The ids of those ``clients`` whose content ``actor`` may see: :func:`access_to`'s
    ``answers`` for each, with the sharing views read in one query (for lists such as the
    referral queue)."""
    return {entry.client.id for entry in accesses(session, actor, clients) if entry.answers}


def accesses(session: DbSession, actor: Actor, clients: Iterable[Client]) -> list[RecordAccess]:
    """:func:`access_to` of each of ``clients`` (each person once, in order), with the sharing
    views in force read in one sliced query (:func:`views_in_force`), not one per person."""
    found = {client.id: client for client in clients}
    views = views_in_force(session, list(found), actor.own_organisation_id)
    return [_decide(session, actor, client, views.get(key)) for key, client in found.items()]


def _decide(
    session: DbSession, actor: Actor, client: Client, view: SharingView | None
) -> RecordAccess:
    """The one decision, given the newest sharing view covering the actor's organisation."""
    restriction = view if view is not None and not view.status.shares else None
    grant = active_grant(session, actor, client.id) if restriction is not None else None
    who = actor_facts(actor, break_glass=grant is not None)
    facts = policy.RecordFacts(client.organisation_id, _sharing(view))
    return RecordAccess(
        client, actor.role, restriction, grant, who, facts, policy.decide(who, facts)
    )


def refuse(
    session: DbSession,
    actor: Actor,
    action: str,
    client: Client,
    reason: str,
    *,
    forbidden: bool = False,
    record: tuple[str, object] | None = None,
) -> Exception:
    """The refusal of ``action`` on ``client`` (or on ``record``, one of its rows: a type and
    an id), noted for the audit trail as a refused attempt; raise what it returns:
    AccessDenied (403) when ``forbidden``, otherwise RecordNotFound (404)."""
    record_type, record_id = record or ("client", client.id)
    note_refusal(
        session,
        actor,
        action,
        record_type=record_type,
        record_id=record_id,
        client_id=client.id,
        reason=reason or "not allowed",
        answered=403 if forbidden else 404,
    )
    return AccessDenied(action) if forbidden else RecordNotFound(str(record_id))


def _deny_role(session: DbSession, actor: Actor, client_id: uuid.UUID | str, action: str) -> None:
    """AccessDenied for a role that may never do ``action``; noted on the record if it exists."""
    try:
        client = _load_client(session, client_id)
    except RecordNotFound:
        raise AccessDenied(action) from None
    raise refuse(session, actor, action, client, _role_reason(actor), forbidden=True)


def _role_reason(actor: Actor) -> str:
    return f"role: {actor.role.value}" if actor.role is not None else "role"


def _open(
    session: DbSession,
    actor: Actor,
    client_id: uuid.UUID | str,
    action: str,
    allowed: Callable[[RecordAccess], bool],
) -> RecordAccess:
    if actor.organisation_id is None:  # the system's own tasks: refused as access_to says
        client = _load_client(session, client_id)
        access = access_to(session, actor, client)
    else:
        client, view = _load_client_and_view(session, client_id, actor.organisation_id)
        access = access_given(session, actor, client, view)
    if not access.decision.allows(policy.Level.IDENTITY) or not allowed(access):
        raise refuse(session, actor, action, client, access.decision.reason)
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
    session: DbSession, actor: Actor, client_id: uuid.UUID | str, *, action: str = "client.view"
) -> RecordAccess:
    """The record and the actor's access to it, audited as ``action``; RecordNotFound if absent.

    Everything but the identity is only to be shown as ``details`` and ``answers`` say."""
    return _open(session, actor, client_id, action, lambda _access: True)


def open_record_content(
    session: DbSession, actor: Actor, client_id: uuid.UUID | str, *, action: str
) -> RecordAccess:
    """For pages and operations showing the record's content: AccessDenied for administrators,
    404 unless the policy allows the content (shared, or the glass was broken)."""
    if actor.role is Role.ADMINISTRATOR:
        _deny_role(session, actor, client_id, action)
    return _open(session, actor, client_id, action, lambda access: access.answers)


def open_record_for_writing(
    session: DbSession, actor: Actor, client_id: uuid.UUID | str, *, action: str
) -> RecordAccess:
    """For changes to the record (its details, its sharing views): 404 unless allowed."""
    if actor.role is Role.ADMINISTRATOR:
        _deny_role(session, actor, client_id, action)
    return _open(session, actor, client_id, action, lambda access: access.may_write)


def open_for_assessment(
    session: DbSession, actor: Actor, client_id: uuid.UUID | str, *, action: str = "client.view"
) -> RecordAccess:
    """For starting an assessment on the record: assessors and partner systems, where the
    content may be known (AccessDenied for other roles, 404 otherwise)."""
    if actor.role is not None and actor.role is not Role.ASSESSOR:
        _deny_role(session, actor, client_id, action)
    return _open(session, actor, client_id, action, lambda access: access.may_start_assessment)


def open_access_log(session: DbSession, actor: Actor, client_id: uuid.UUID | str) -> RecordAccess:
    """For the "who has seen this record" page: team managers who may see the record's content
    and administrators (the route for the person's own request); AccessDenied for assessors."""
    if actor.role not in (Role.TEAM_MANAGER, Role.ADMINISTRATOR):
        _deny_role(session, actor, client_id, "client.access_log")
    return _open(
        session, actor, client_id, "client.access_log", lambda access: access.may_read_access_log
    )


def search_records(
    session: DbSession,
    actor: Actor,
    query: str,
    *,
    date_of_birth: date | None = None,
    limit: int = 50,
) -> list[RecordAccess]:
    """People found by CHI or name (see ``services.search_clients``), each with what the
    policy lets ``actor`` see of them; audited as one ``client.search`` event linked to every
    record shown, so that the search appears on each one's "who has seen this record"."""
    found = search_clients(session, actor, query, limit, date_of_birth=date_of_birth)
    shown = [access_to(session, actor, client) for client in found]
    shown = [entry for entry in shown if entry.decision.allows(policy.Level.IDENTITY)]
    ids = [entry.client.id for entry in shown]
    audit_shown(
        session,
        actor,
        "client.search",
        "search",
        ids,
        {
            "results": len(shown),
            "by": "chi" if is_chi_search(query) else "name",
            "date_of_birth": date_of_birth is not None,
            "clients": [str(client_id) for client_id in ids],
        },
    )
    return shown


def audit_shown(
    session: DbSession,
    actor: Actor,
    action: str,
    record_type: str,
    client_ids: list[uuid.UUID],
    detail: dict[str, object],
) -> None:
    """One event for a list of people shown at once (a search, an export), linked to each of
    them, so that it appears on every one's "who has seen this record"."""
    event = record_event(
        session, actor, action, record_type=record_type, record_id="-", detail=detail
    )
    link_clients(session, event, client_ids)


@dataclass(frozen=True)
class ReturnAccess:
    """Who of a list of people the quarterly return may carry (:func:`kernel.policy.in_return`)."""

    #: The ids of the people it may carry.
    exported: set[uuid.UUID]
    #: How many people were left out because their sharing view keeps them from the actor's
    #: organisation (a count: who they are is not the return's to say).
    withheld: int


def for_return(session: DbSession, actor: Actor, owners: Mapping[uuid.UUID, int]) -> ReturnAccess:
    """Of the people ``owners`` names (client id -> the organisation owning the record), those
    the quarterly return may carry; AccessDenied for a role that may not export it. The sharing
    views in force are read in one query (:func:`views_in_force`). Not audited:
    :func:`audit_shown` does that."""
    who = actor_facts(actor)
    if not policy.may_export_return(who):
        raise AccessDenied("reports.return")
    views = views_in_force(session, list(owners), actor.own_organisation_id)
    exported: set[uuid.UUID] = set()
    for client_id, owner in owners.items():
        view = views.get(client_id)
        if policy.in_return(who, policy.RecordFacts(owner, _sharing(view))).allows(
            policy.Level.CONTENT
        ):
            exported.add(client_id)
    return ReturnAccess(exported, len(owners) - len(exported))


def knows_identities(actor: Actor) -> bool:
    """Whether ``actor``'s role may know any record's identity (see ``kernel.policy``)."""
    return policy.knows_identities(actor_facts(actor))


def client_for(session: DbSession, actor: Actor, client_id: uuid.UUID | str) -> Client:
    """The client record as ``actor`` may see it, audited as a view; RecordNotFound otherwise.

    The record itself is returned even where it is not shared: ask :func:`may_see_answers`
    (or use :func:`open_record` and its levels) before showing anything but the identity.
    """
    return open_record(session, actor, client_id).client


def may_see_answers(session: DbSession, actor: Actor, client: Client) -> bool:
    """Whether ``actor`` may see assessments, answers, decisions and referrals about ``client``."""
    return access_to(session, actor, client).answers


__all__ = [
    "AccessDenied",
    "RecordAccess",
    "RecordNotFound",
    "ReturnAccess",
    "access_to",
    "actor_facts",
    "answers_visible",
    "audit_shown",
    "client_for",
    "for_return",
    "knows_identities",
    "may_see_answers",
    "open_access_log",
    "open_for_assessment",
    "open_record",
    "open_record_content",
    "open_record_for_writing",
    "refuse",
    "search_records",
]


def listed(
    session: DbSession,
    actor: Actor,
    clients: list[Client],
    action: str,
    *,
    level: policy.Level = policy.Level.CONTENT,
    detail: dict[str, object] | None = None,
) -> list[RecordAccess]:
    """The people of a list (a report's, an export's) the actor may know to ``level``, in
    order, each person once; audited as one ``action`` event linked to every person shown, so
    that the list appears on each one's "who has seen this record"."""
    shown = [entry for entry in accesses(session, actor, clients) if entry.decision.allows(level)]
    ids = [entry.client.id for entry in shown]
    event = record_event(
        session,
        actor,
        action,
        record_type="report",
        record_id="-",
        detail={**(detail or {}), "results": len(shown), "clients": [str(i) for i in ids]},
    )
    link_clients(session, event, ids)
    return shown
