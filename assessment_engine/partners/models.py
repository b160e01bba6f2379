"""Partner organisations (health board, council, third sector) and their services."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, enum_type, utcnow


class OrganisationKind(enum.StrEnum):
    HEALTH = "health"
    SOCIAL_CARE = "social_care"
    COMMUNITY = "community"

    @property
    def label(self) -> str:
        return {"health": "Health", "social_care": "Social care", "community": "Community"}[self]


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind, "organisation_kind"))
    contact: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    services: Mapped[list[Service]] = relationship(
        back_populates="organisation", order_by="Service.name"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Service(Base):
    """A service a partner runs and that a decision can refer a person to."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: Which route the service belongs to: health, social care or community.
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind, "service_kind"))
    active: Mapped[bool] = mapped_column(default=True)
    #: Where the team's notifications go (same-day and urgent referrals, the daily digest); ""
    #: while none is set. Set by administrators on the service's page.
    team_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    #: Personal care (set by administrators): referrals to it at critical or substantial
    #: priority run the 6-week clock (``assessments.clock``).
    personal_care: Mapped[bool] = mapped_column(default=False)

    organisation: Mapped[Organisation] = relationship(back_populates="services")

    def __repr__(self) -> str:
        return f"<Service {self.slug}>"
