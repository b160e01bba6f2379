"""Support arranged for an accepted referral, its versions, its reviews and the review policy.

* :class:`SupportPlan`: what a receiving team arranged for one referral (one plan a referral),
  with its current terms; every change of terms is a new :class:`SupportPlanVersion` (who, when,
  why), never an edit of an old one.
* :class:`Review`: one review of a plan, due on a day; completed with an outcome (continue,
  increase, reduce, end), the person's (and carer's) agreement where the rule needs it, and the
  review assessment (a reassessment carrying forward the last one's answers).
* :class:`ReviewPolicy`: when reviews fall due, as data administrators change: the first review
  after support starts (sooner for critical priority), then the interval between reviews.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..assessments.models import Assessment, Referral
from ..auth.models import User
from ..db import Base, KeyedAtCreation, enum_type, new_id, utcnow
from ..partners.models import Organisation, Service
from ..records.models import Client


class SdsOption(enum.StrEnum):
    """Self-directed Support (Scotland): how the person's support is arranged."""

    DIRECT_PAYMENT = "1"
    DIRECTED = "2"
    ARRANGED = "3"
    MIX = "4"

    @property
    def label(self) -> str:
        return {
            "1": "Option 1: a direct payment",
            "2": "Option 2: the person directs the support",
            "3": "Option 3: arranged by the council",
            "4": "Option 4: a mix of options",
        }[self.value]


class PlanStatus(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReviewStatus(enum.StrEnum):
    DUE = "due"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReviewOutcome(enum.StrEnum):
    CONTINUE = "continue"
    INCREASE = "increase"
    REDUCE = "reduce"
    END = "end"

    @property
    def label(self) -> str:
        return {
            "continue": "Continue as it is",
            "increase": "Increase",
            "reduce": "Reduce",
            "end": "End",
        }[self.value]


class EndReason(enum.StrEnum):
    DIED = "died"
    MOVED_AWAY = "moved_away"
    LONG_TERM_CARE = "long_term_care"
    NO_LONGER_NEEDED = "no_longer_needed"
    PERSON_DECLINED = "person_declined"

    @property
    def label(self) -> str:
        return {
            "died": "The person died",
            "moved_away": "The person moved away",
            "long_term_care": "The person was admitted to long-term care",
            "no_longer_needed": "The support is no longer needed",
            "person_declined": "The person declined the support",
        }[self.value]

    @property
    def outside_choice(self) -> bool:
        """Support ends for a reason outside the person's choice: no agreement is needed, and
        no review assessment."""
        return self in (EndReason.DIED, EndReason.MOVED_AWAY, EndReason.LONG_TERM_CARE)


class AgreedBy(enum.StrEnum):
    PERSON = "person"
    WELFARE_ATTORNEY = "welfare_attorney"
    GUARDIAN = "guardian"

    @property
    def label(self) -> str:
        return {
            "person": "The person",
            "welfare_attorney": "Their welfare attorney",
            "guardian": "Their guardian",
        }[self.value]


class SupportPlan(KeyedAtCreation, Base):
    """The support arranged for one accepted referral, with its current terms."""

    __tablename__ = "support_plans"
    __table_args__ = (
        UniqueConstraint("referral_id", name="uq_support_plans_referral_id"),
        Index("ix_support_plans_organisation_id_status", "organisation_id", "status"),
        Index("ix_support_plans_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    status: Mapped[PlanStatus] = mapped_column(
        enum_type(PlanStatus, "support_plan_status"), default=PlanStatus.ACTIVE
    )
    start_date: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    #: Hours a week, in minutes (exact; shown as decimal hours).
    minutes_per_week: Mapped[int | None] = mapped_column(Integer)
    sds_option: Mapped[SdsOption | None] = mapped_column(enum_type(SdsOption, "sds_option"))
    #: The weekly cost in pence (exact; shown as pounds).
    weekly_cost_pence: Mapped[int | None] = mapped_column(Integer)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    referral: Mapped[Referral] = relationship()
    client: Mapped[Client] = relationship()
    organisation: Mapped[Organisation] = relationship()
    service: Mapped[Service] = relationship()
    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list[SupportPlanVersion]] = relationship(
        back_populates="plan", order_by="SupportPlanVersion.number"
    )
    reviews: Mapped[list[Review]] = relationship(back_populates="plan", order_by="Review.due_on")

    __mapper_args__ = {"version_id_col": version}


class SupportPlanVersion(Base):
    """One version of a plan's terms: the first when support started, then one per change."""

    __tablename__ = "support_plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "number", name="uq_support_plan_versions_plan_id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_plans.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[PlanStatus] = mapped_column(enum_type(PlanStatus, "support_version_status"))
    start_date: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    minutes_per_week: Mapped[int | None] = mapped_column(Integer)
    sds_option: Mapped[SdsOption | None] = mapped_column(
        enum_type(SdsOption, "support_version_sds_option")
    )
    weekly_cost_pence: Mapped[int | None] = mapped_column(Integer)
    #: Why the terms changed: "Support started", or the review's outcome and reason.
    reason: Mapped[str] = mapped_column(Text)
    review_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reviews.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[SupportPlan] = relationship(back_populates="versions")
    changed_by: Mapped[User | None] = relationship()


class Review(KeyedAtCreation, Base):
    """One review of a support plan: due on a day, then completed with an outcome."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_organisation_id_status_due_on", "organisation_id", "status", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("support_plans.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus, "review_status"), default=ReviewStatus.DUE
    )
    #: The worker the review is given to (the referral's worker when it is scheduled).
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The review assessment: a reassessment carrying forward the last assessment's answers.
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"))
    outcome: Mapped[ReviewOutcome | None] = mapped_column(
        enum_type(ReviewOutcome, "review_outcome")
    )
    reason: Mapped[str | None] = mapped_column(Text)
    end_reason: Mapped[EndReason | None] = mapped_column(enum_type(EndReason, "review_end_reason"))
    person_agreed: Mapped[bool | None] = mapped_column(Boolean)
    agreed_by: Mapped[AgreedBy | None] = mapped_column(enum_type(AgreedBy, "review_agreed_by"))
    #: None where no carer is involved.
    carer_agreed: Mapped[bool | None] = mapped_column(Boolean)
    agreement_recorded_at: Mapped[datetime | None]
    agreement_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[SupportPlan] = relationship(back_populates="reviews")
    client: Mapped[Client] = relationship()
    assessment: Mapped[Assessment | None] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    agreement_recorded_by: Mapped[User | None] = relationship(
        foreign_keys=[agreement_recorded_by_id]
    )

    __mapper_args__ = {"version_id_col": version}

    def overdue_on(self, today: date) -> bool:
        """Still open and due before ``today``."""
        return self.status is ReviewStatus.DUE and self.due_on < today


class ReviewPolicy(Base):
    """When reviews fall due. One row an organisation may override; the row without an
    organisation is everyone's default."""

    __tablename__ = "review_policies"
    __table_args__ = (
        UniqueConstraint("organisation_id", name="uq_review_policies_organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    #: Days from support starting to the first review.
    first_review_days: Mapped[int] = mapped_column(Integer, default=42)
    #: Days to the first review where the referral's priority is critical.
    critical_first_review_days: Mapped[int] = mapped_column(Integer, default=28)
    #: Days from one review to the next.
    review_interval_days: Mapped[int] = mapped_column(Integer, default=365)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation | None] = relationship()


#: What an organisation gets where no row says otherwise.
DEFAULT_POLICY = {
    "first_review_days": 42,
    "critical_first_review_days": 28,
    "review_interval_days": 365,
}
