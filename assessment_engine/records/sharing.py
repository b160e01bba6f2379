"""The person's views on sharing, and emergency ("break glass") access.

The rules (see also ``records.access``):

- Until a view is recorded, the record is shared with every partner: the lawful basis is public
  task and the provision of health or social care, not consent (product brief).
- Each recorded view covers some partner organisations. For each partner, the latest view that
  covers it is the one in force: *agreed* shares, *declined* and *withdrawn* do not.
- A partner the person does not share with sees only that the record exists and which
  organisation to contact (the one that recorded the view in force).
- Such a partner's user (or API client) may break the glass: with a stated reason, audited as
  ``client.break_glass``, personal to that user or client, for :data:`BREAK_GLASS_DURATION`.
- Views and grants are history: rows are added, never changed (ORM and database both refuse).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, joinedload, selectinload

from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError
from ..partners.models import Organisation
from .models import BreakGlassGrant, Client, SharingStatus, SharingView, SharingViewPartner

#: How long emergency access lasts: one working shift. Break the glass again after it.
BREAK_GLASS_DURATION = timedelta(hours=8)
MIN_REASON = 10
MAX_REASON = 1000
MAX_NOTES = 2000


class SharingError(DomainError):
    """Field-level problems with a sharing view or break-glass request: field -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class SharingSummary:
    """What is in force for each partner: the views restricting partners, by organisation id."""

    restricted: dict[int, SharingView]
    latest: SharingView | None

    def restriction_for(self, organisation_id: int) -> SharingView | None:
        return self.restricted.get(organisation_id)


def sharing_history(session: DbSession, client_id: uuid.UUID) -> list[SharingView]:
    """Every recorded view, newest first, with who recorded it and the partners covered."""
    return list(
        session.scalars(
            select(SharingView)
            .where(SharingView.client_id == client_id)
            .options(
                joinedload(SharingView.recorded_by),
                joinedload(SharingView.recorded_by_organisation),
                selectinload(SharingView.partners),
            )
            .order_by(SharingView.id.desc())
        )
    )


def summarise(views: Iterable[SharingView]) -> SharingSummary:
    """For each partner, the newest view that covers it; keep those that do not share."""
    in_force: dict[int, SharingView] = {}
    ordered = sorted(views, key=lambda v: v.id, reverse=True)
    for view in ordered:
        for partner in view.partners:
            in_force.setdefault(partner.organisation_id, view)
    restricted = {org: view for org, view in in_force.items() if not view.status.shares}
    return SharingSummary(restricted, ordered[0] if ordered else None)


def view_in_force(
    session: DbSession, client_id: uuid.UUID, organisation_id: int
) -> SharingView | None:
    """The newest view that covers ``organisation_id``, whatever it says; None if none does."""
    return session.scalar(
        select(SharingView)
        .join(SharingViewPartner)
        .where(
            SharingView.client_id == client_id,
            SharingViewPartner.organisation_id == organisation_id,
        )
        .options(joinedload(SharingView.recorded_by_organisation))
        .order_by(SharingView.id.desc())
        .limit(1)
    )


def newest_view_id(
    client_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
    organisation_id: int | ColumnElement[int],
) -> Any:
    """:func:`view_in_force`'s row as a scalar subquery: the id of the newest view of
    ``client_id`` (a column of the enclosing query, such as ``Assessment.client_id``) that covers
    ``organisation_id`` (a value, or a bound parameter), NULL if none does. For a page that reads
    the record and its view in force in one statement
    (``assessments.services.get_assessment_with_view``)."""
    return (
        select(func.max(SharingView.id))
        .join(SharingViewPartner)
        .where(
            SharingView.client_id == client_id,
            SharingViewPartner.organisation_id == organisation_id,
        )
        .scalar_subquery()
    )


def views_in_force(
    session: DbSession, client_ids: list[uuid.UUID], organisation_id: int
) -> dict[uuid.UUID, SharingView]:
    """:func:`view_in_force` for many clients at once: the newest view of each that covers
    ``organisation_id`` (clients with none are absent)."""
    found: dict[uuid.UUID, SharingView] = {}
    # In slices: SQLite allows 32,766 bound values in a statement (a quarter's return has more).
    for start in range(0, len(client_ids), _SLICE):
        for view in session.scalars(
            select(SharingView)
            .join(SharingViewPartner)
            .where(
                SharingView.client_id.in_(client_ids[start : start + _SLICE]),
                SharingViewPartner.organisation_id == organisation_id,
            )
            .options(joinedload(SharingView.recorded_by_organisation))
            .order_by(SharingView.id.desc())
        ):
            found.setdefault(view.client_id, view)
    return found


_SLICE = 10_000


def restriction_for(
    session: DbSession, client_id: uuid.UUID, organisation_id: int
) -> SharingView | None:
    """The view in force that stops ``organisation_id`` seeing the record's content, if any."""
    newest = view_in_force(session, client_id, organisation_id)
    if newest is None or newest.status.shares:
        return None
    return newest


def partner_choices(session: DbSession, actor: Actor) -> list[Organisation]:
    """The partners a view recorded by ``actor`` may cover: every organisation but its own."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.id != actor.organisation_id)
            .order_by(Organisation.name)
        )
    )


def record_sharing_view(
    session: DbSession,
    actor: Actor,
    client: Client,
    *,
    status: str,
    stated_on: date | None,
    partner_ids: Iterable[int | str],
    notes: str = "",
) -> SharingView:
    """Add the person's view on sharing with some partners; refuses bad input field by field."""
    errors: dict[str, str] = {}
    try:
        chosen_status = SharingStatus(status)
    except ValueError:
        errors["status"] = "Select whether the person agreed, declined or withdrew agreement"
    if stated_on is None:
        errors["stated_on"] = "Enter the date the person gave this view"
    elif stated_on > date.today():
        errors["stated_on"] = "The date must be today or in the past"
    elif stated_on < client.date_of_birth:
        errors["stated_on"] = "The date must be after the person's date of birth"
    wanted: set[int] = set()
    for value in partner_ids:
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            errors["partners"] = "Select partners from the list"
    allowed = {org.id for org in partner_choices(session, actor)}
    if not wanted:
        errors.setdefault("partners", "Select at least one partner organisation")
    elif not wanted <= allowed:
        # An id changed in the form: never one's own organisation, never one that does not exist.
        errors["partners"] = "Select partners from the list"
    if len(notes) > MAX_NOTES:
        errors["notes"] = f"Notes must be {MAX_NOTES} characters or fewer"
    lifted: list[SharingView] = []
    if not errors and chosen_status.shares:
        assert stated_on is not None
        lifted, refusal = _lifts(session, actor, client, stated_on, sorted(wanted))
        if refusal:
            errors["stated_on"] = refusal
    if errors:
        raise SharingError(errors)
    assert stated_on is not None
    view = SharingView(
        client_id=client.id,
        status=chosen_status,
        stated_on=stated_on,
        notes=notes.strip(),
        recorded_at=utcnow(),
        recorded_by_id=actor.user_id,
        recorded_by_organisation_id=actor.organisation_id,
        partners=[SharingViewPartner(organisation_id=org_id) for org_id in sorted(wanted)],
    )
    session.add(view)
    session.flush()
    record_event(
        session,
        actor,
        "sharing.record",
        record_type="sharing_view",
        record_id=view.id,
        client_id=client.id,
        detail={"status": chosen_status.value, "partners": sorted(wanted)},
    )
    for earlier in lifted:
        record_event(
            session,
            actor,
            "sharing.lift",
            record_type="sharing_view",
            record_id=view.id,
            client_id=client.id,
            detail={
                "replaces": earlier.id,
                "recorded_by_organisation_id": earlier.recorded_by_organisation_id,
            },
        )
    return view


def _lifts(
    session: DbSession, actor: Actor, client: Client, stated_on: date, partner_ids: list[int]
) -> tuple[list[SharingView], str]:
    """The restrictions recorded by other organisations that a view agreeing to share with
    ``partner_ids`` would lift, and why it may not ("" if it may): the person must have
    stated the new view later than the one it replaces."""
    lifted: dict[int, SharingView] = {}
    for partner_id in partner_ids:
        in_force = view_in_force(session, client.id, partner_id)
        if in_force is None or in_force.status.shares:
            continue
        if in_force.recorded_by_organisation_id == actor.organisation_id:
            continue  # one's own record of the person's view: corrected by a newer one
        if stated_on <= in_force.stated_on:
            stated = f"{in_force.stated_on.day} {in_force.stated_on:%B %Y}"
            return [], (
                f"{in_force.recorded_by_organisation.name} recorded that the person "
                f"{in_force.status.value} sharing on {stated}; only a view the person stated "
                "after that can lift it"
            )
        lifted[in_force.id] = in_force
    return list(lifted.values()), ""


@dataclass(frozen=True)
class LiftedView:
    """A restriction one organisation recorded that another's later view lifted."""

    replaced: SharingView
    by: SharingView
    partner: Organisation


def lifted_restrictions(
    session: DbSession, client_id: uuid.UUID, organisation_id: int
) -> list[LiftedView]:
    """The restrictions ``organisation_id`` recorded that another organisation's later view
    lifted, newest first: shown to the organisation that recorded the earlier view."""
    in_force: dict[int, SharingView] = {}
    found: list[LiftedView] = []
    for view in reversed(sharing_history(session, client_id)):  # oldest first
        for partner in view.partners:
            earlier = in_force.get(partner.organisation_id)
            in_force[partner.organisation_id] = view
            if (
                earlier is not None
                and not earlier.status.shares
                and view.status.shares
                and earlier.recorded_by_organisation_id == organisation_id
                and view.recorded_by_organisation_id != organisation_id
            ):
                found.append(LiftedView(earlier, view, partner.organisation))
    return found[::-1]


def active_grant(session: DbSession, actor: Actor, client_id: uuid.UUID) -> BreakGlassGrant | None:
    """The actor's own unexpired emergency access to this record, if any."""
    return session.scalar(
        select(BreakGlassGrant)
        .where(
            BreakGlassGrant.client_id == client_id,
            BreakGlassGrant.actor == actor.label,
            BreakGlassGrant.organisation_id == actor.organisation_id,
            BreakGlassGrant.expires_at > utcnow(),
        )
        .order_by(BreakGlassGrant.expires_at.desc())
        .limit(1)
    )


def break_glass(session: DbSession, actor: Actor, client: Client, reason: str) -> BreakGlassGrant:
    """Emergency access for ``actor`` to a record not shared with its organisation.

    Only where sharing is restricted, only with a reason; audited as ``client.break_glass``.
    """
    if restriction_for(session, client.id, actor.own_organisation_id) is None:
        raise SharingError({"reason": "This record is already shared with your organisation"})
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise SharingError(
            {"reason": f"Say why you need emergency access ({MIN_REASON} characters or more)"}
        )
    if len(reason) > MAX_REASON:
        raise SharingError({"reason": f"The reason must be {MAX_REASON} characters or fewer"})
    now = utcnow()
    grant = BreakGlassGrant(
        client_id=client.id,
        actor=actor.label,
        user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        reason=reason,
        granted_at=now,
        expires_at=now + BREAK_GLASS_DURATION,
    )
    session.add(grant)
    session.flush()
    record_event(
        session,
        actor,
        "client.break_glass",
        record_type="client",
        record_id=client.id,
        client_id=client.id,
        detail={"grant": grant.id, "reason": reason, "expires_at": grant.expires_at.isoformat()},
    )
    return grant


def grants_for(session: DbSession, client_id: uuid.UUID) -> list[BreakGlassGrant]:
    """Every emergency access to the record, newest first, shown on the record."""
    return list(
        session.scalars(
            select(BreakGlassGrant)
            .where(BreakGlassGrant.client_id == client_id)
            .options(joinedload(BreakGlassGrant.user), joinedload(BreakGlassGrant.organisation))
            .order_by(BreakGlassGrant.granted_at.desc())
        )
    )
