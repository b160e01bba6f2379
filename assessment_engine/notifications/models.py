"""The outbox of notifications and the record of scheduled runs."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..assessments.models import Referral
from ..db import Base, JSONType, KeyedAtCreation, enum_type, utcnow
from ..partners.models import Service


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    #: Not sent: what it told of no longer waits (a referral accepted, declined or completed).
    CANCELLED = "cancelled"


class OutboxKind(enum.StrEnum):
    #: A same-day or urgent referral is waiting (written with the referral).
    REFERRAL = "referral"
    #: The daily digest of what waits for a team.
    DIGEST = "digest"


class OutboxMessage(KeyedAtCreation, Base):
    """One notification to a team, written in the transaction of what caused it and delivered
    after commit by the scheduled runner (``deliver-outbox``).

    It holds counts and kinds only (``detail``), never a person's name, CHI number, date of
    birth, the service's name or free text: the message is worded at delivery from these, and
    sent to the service's team address as it is then. Its id is the message's ``Message-ID``,
    and a sent message is never sent again."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(enum_type(OutboxKind, "outbox_kind"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    #: The referral a referral notification tells of (checked at delivery: one no longer
    #: waiting is not told of); None for digests. A key, not personal data.
    referral_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("referrals.id"), index=True, default=None
    )
    #: Counts and kinds only (``{"urgency": "same_day"}``, a digest's lines).
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A runner that claimed the message holds it until then (see ``outbox.claim``).
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Why the last attempt failed (the mail server's reply), never the message.
    last_error: Mapped[str] = mapped_column(String(500), default="")
    #: One digest per team and day however many runners there are (None for referrals).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, default=None)

    service: Mapped[Service] = relationship()
    referral: Mapped[Referral | None] = relationship()


class ScheduledRun(Base):
    """The last run of each scheduled job, shared by every runner: a job runs when its
    interval has passed since the last run of any of them."""

    __tablename__ = "scheduled_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    ok: Mapped[bool] = mapped_column(default=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
