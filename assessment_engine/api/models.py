"""API clients (a partner system's token and scopes) and the idempotency keys of their POSTs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db import Base, JSONType, enum_type, utcnow
from ..partners.models import Organisation


class ApiClient(Base):
    """A partner organisation's system: acts as that organisation, within its scopes.

    Only the SHA-256 of the token is stored; the token itself is shown once, when made.
    """

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Hex SHA-256 of the bearer token (a 256-bit random value).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiClient {self.id} {self.name!r}>"


class IdempotencyState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    DONE = "done"


class IdempotencyKey(Base):
    """The first response to a POST carrying an ``Idempotency-Key``, replayed for retries."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("api_client_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the method, path and canonical JSON body of the first request.
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[IdempotencyState] = mapped_column(
        enum_type(IdempotencyState, "idempotency_state"), default=IdempotencyState.IN_PROGRESS
    )
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    api_client: Mapped[ApiClient] = relationship()
