"""The shared client record, the person's views on sharing, break-glass grants and the
append-only, hash-chained audit trail."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db import Base, JSONType, enum_type, new_id, utcnow
from ..partners.models import Organisation


class Client(Base):
    """One person, recorded once and shared by the partner organisations."""

    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint("length(chi) = 10", name="chi_length"),
        CheckConstraint("nhs_number IS NULL OR length(nhs_number) = 10", name="nhs_number_length"),
        Index("ix_clients_name_keys_dob", "family_name_key", "date_of_birth", "given_name_key"),
        # Name and date of birth: the name words may start either name, so the date leads.
        Index("ix_clients_date_of_birth", "date_of_birth"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: Community Health Index number: 10 characters, never a number (leading zeros matter).
    chi: Mapped[str] = mapped_column(String(10), unique=True)
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    #: Search keys: case, accents, hyphens, spaces and Mac/Mc folded (see records.identity).
    given_name_key: Mapped[str] = mapped_column(String(100))
    family_name_key: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    postcode: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(500), default="")
    gp_practice: Mapped[str] = mapped_column(String(200), default="")
    communication_needs: Mapped[str] = mapped_column(Text, default="")
    #: The organisation whose staff first recorded the person.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Optimistic-lock counter; a stale save is refused rather than overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def chi_display(self) -> str:
        return f"{self.chi[:6]} {self.chi[6:]}"

    def __repr__(self) -> str:
        return f"<Client {self.id}>"


class AuditEvent(Base):
    """Who did what to which record, when and from where. Rows are never updated or deleted.

    Each row carries the SHA-256 of its own content and of the row before it, so that changing or
    removing a row breaks the chain (``flask --app wsgi audit-verify``).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_client_id_occurred_at", "client_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    #: Who acted, readable even if the user is later renamed: "user:3", "api:2", "cli".
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[uuid.UUID | None] = mapped_column()
    address: Mapped[str] = mapped_column(String(64), default="")
    #: Non-sensitive context (never answers or tokens).
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    user: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    #: Further records the event concerns (a search's results), for "who has seen this record".
    linked_clients: Mapped[list[AuditEventClient]] = relationship()


class AuditEventClient(Base):
    """A record an audit event concerns beyond its own ``client_id``: each person a search
    showed. Written with the event; never changed."""

    __tablename__ = "audit_event_clients"
    __table_args__ = (
        Index("ix_audit_event_clients_client_id_audit_event_id", "client_id", "audit_event_id"),
    )

    audit_event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("audit_events.id"),
        primary_key=True,
    )
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), primary_key=True)


class SharingStatus(enum.StrEnum):
    AGREED = "agreed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "agreed": "Agreed to sharing",
            "declined": "Declined sharing",
            "withdrawn": "Withdrew agreement",
        }[self]

    @property
    def shares(self) -> bool:
        return self is SharingStatus.AGREED


class SharingView(Base):
    """One recorded view of the person on sharing with some partners. Never updated or deleted.

    A change of mind is a new row; for each partner the latest row that covers it is the one in
    force (see ``records.sharing``). The migrations add database triggers refusing changes.
    """

    __tablename__ = "sharing_views"
    __table_args__ = (Index("ix_sharing_views_client_id_id", "client_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    status: Mapped[SharingStatus] = mapped_column(enum_type(SharingStatus, "sharing_status"))
    #: The day the person gave this view (it may be recorded later).
    stated_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The organisation that recorded it: the one a partner without access should contact.
    recorded_by_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    recorded_by: Mapped[User | None] = relationship()
    recorded_by_organisation: Mapped[Organisation] = relationship()
    partners: Mapped[list[SharingViewPartner]] = relationship(
        back_populates="view", order_by="SharingViewPartner.organisation_id"
    )


class SharingViewPartner(Base):
    """A partner organisation that a sharing view covers."""

    __tablename__ = "sharing_view_partners"

    sharing_view_id: Mapped[int] = mapped_column(ForeignKey("sharing_views.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), primary_key=True, index=True
    )

    view: Mapped[SharingView] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class BreakGlassGrant(Base):
    """Emergency access to a record the person declined to share, for one actor, for a while.

    Kept for ever (never updated or deleted): the record shows every grant and its reason.
    """

    __tablename__ = "break_glass_grants"
    __table_args__ = (
        Index("ix_break_glass_grants_client_id_actor", "client_id", "actor", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    #: The actor's label ("user:3", "api:2"): the grant is personal, not for the organisation.
    actor: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation] = relationship()


class AppendOnlyError(RuntimeError):
    """Raised when something tries to change or delete a sharing view or break-glass grant."""


@event.listens_for(SharingView, "before_update")
@event.listens_for(SharingView, "before_delete")
@event.listens_for(SharingViewPartner, "before_update")
@event.listens_for(SharingViewPartner, "before_delete")
@event.listens_for(BreakGlassGrant, "before_update")
@event.listens_for(BreakGlassGrant, "before_delete")
def _refuse_change(_mapper: Any, _conn: Any, _target: object) -> None:
    raise AppendOnlyError("Sharing views and break-glass grants are history: add, never change.")
