"""The audit trail's table: below every domain, since every domain writes to it.

The user and organisation of an event are named, not imported: the kernel sits below ``auth``
and ``partners``, and the relationships are resolved by name when the mappers are configured.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, JSONType, utcnow

if TYPE_CHECKING:
    from ..auth.models import User
    from ..partners.models import Organisation


class AuditEvent(Base):
    """Who did what to which record, when and from where. Rows are never updated or deleted.

    Each row carries the SHA-256 of its own content and of the row before it, so that changing or
    removing a row breaks the chain (``flask --app wsgi audit-verify``).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_client_id_occurred_at", "client_id", "occurred_at"),
        Index("ix_audit_events_chain_id", "chain", "id"),
    )

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
    #: Which of the trail's chains it belongs to (kernel/audit.py); its ``prev_hash`` is the hash
    #: of that chain's event before it.
    chain: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
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
