"""Assessments, the decisions made on them, and the referrals those decisions create."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from ..auth.models import User
from ..db import Base, JSONType, KeyedAtCreation, enum_type, new_id, utcnow
from ..partners.models import Organisation, Service
from ..questionnaires.models import ImmutableRecordError, QuestionnaireVersion
from ..records.models import Client
from ..scoring.outcomes import Priority, Route, Urgency


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SIGNED_OFF = "signed_off"

    @property
    def label(self) -> str:
        return {"draft": "Draft", "submitted": "Submitted", "signed_off": "Signed off"}[self]


class ReferralStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DecisionKind(enum.StrEnum):
    #: Made when the assessment was submitted; the one that counts.
    SUBMISSION = "submission"
    #: An administrator's "what if" under a newer ruleset; never acted on.
    WHAT_IF = "what_if"


class Assessment(KeyedAtCreation, Base):
    __tablename__ = "assessments"
    __table_args__ = (
        Index("ix_assessments_client_id_created_at", "client_id", "created_at"),
        Index("ix_assessments_organisation_id_status", "organisation_id", "status"),
        # The day's rows that reports.facts folds.
        Index("ix_assessments_created_at", "created_at"),
        Index("ix_assessments_submitted_at", "submitted_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    #: Pinned for life: answers are validated and scored against exactly this version.
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id"), index=True
    )
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_type(AssessmentStatus, "assessment_status"), default=AssessmentStatus.DRAFT
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cosigned_at: Mapped[datetime | None]
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The assessment this one amends (a new linked version), if any.
    amends_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"), index=True)
    #: A discarded draft is kept (never deleted) and never changes again.
    discarded_at: Mapped[datetime | None]
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: Totals the sender stated, each beside the computed one (``assessments.totals``).
    stated_totals: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    client: Mapped[Client] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    organisation: Mapped[Organisation] = relationship()
    started_by: Mapped[User | None] = relationship(foreign_keys=[started_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])
    cosigned_by: Mapped[User | None] = relationship(foreign_keys=[cosigned_by_id])
    discarded_by: Mapped[User | None] = relationship(foreign_keys=[discarded_by_id])
    amends: Mapped[Assessment | None] = relationship(remote_side=[id])
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="assessment", order_by="Decision.created_at"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def discarded(self) -> bool:
        return self.discarded_at is not None

    @property
    def open_draft(self) -> bool:
        """A draft that may still be changed and submitted (not discarded)."""
        return self.status is AssessmentStatus.DRAFT and self.discarded_at is None

    @property
    def status_label(self) -> str:
        return "Discarded" if self.discarded else self.status.label


_DISCARDED_CONTENT = ("answers", "status", "discarded_at", "discarded_by_id", "submitted_at")

_SIGNED_CONTENT = (
    "answers",
    "questionnaire_version_id",
    "client_id",
    "submitted_at",
    "submitted_by_id",
    "signed_off_at",
    "signed_off_by_id",
    "amends_id",
    "organisation_id",
)


@event.listens_for(Assessment, "before_update")
def _refuse_changes_to_signed_off(_mapper: Any, _conn: Any, target: Assessment) -> None:
    """A signed-off assessment never changes (a co-signature may still be added once); nor does
    a discarded draft.

    The migrations add database triggers that refuse the same, for writes that bypass the ORM.
    """
    discarded = get_history(target, "discarded_at")
    if any(value is not None for value in discarded.deleted):
        raise ImmutableRecordError("This draft was discarded and cannot change.")
    if target.discarded_at is not None and not discarded.has_changes():
        for name in _DISCARDED_CONTENT:
            if get_history(target, name).has_changes():
                raise ImmutableRecordError("This draft was discarded and cannot change.")
    status = get_history(target, "status")
    old = AssessmentStatus(status.deleted[0]) if status.deleted else AssessmentStatus(target.status)
    if old is AssessmentStatus.SIGNED_OFF:
        if status.has_changes():
            raise ImmutableRecordError("A signed-off assessment cannot change status.")
        for name in _SIGNED_CONTENT:
            if get_history(target, name).has_changes():
                raise ImmutableRecordError(
                    "This assessment has been signed off and cannot change; amend it instead."
                )


class Decision(KeyedAtCreation, Base):
    """A routing decision, stored with the ruleset it came from and never silently recomputed."""

    __tablename__ = "decisions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    kind: Mapped[DecisionKind] = mapped_column(
        enum_type(DecisionKind, "decision_kind"), default=DecisionKind.SUBMISSION
    )
    #: "key@version" of the questionnaire version whose rules made it.
    ruleset: Mapped[str] = mapped_column(String(80))
    computed_route: Mapped[Route] = mapped_column(enum_type(Route, "decision_computed_route"))
    computed_priority: Mapped[Priority] = mapped_column(
        enum_type(Priority, "decision_computed_priority")
    )
    #: Final route and priority: the computed ones unless an assessor overrode them.
    route: Mapped[Route] = mapped_column(enum_type(Route, "decision_route"))
    priority: Mapped[Priority] = mapped_column(enum_type(Priority, "decision_priority"))
    #: scores, bands, flags, services and trace, as in the API's decision object.
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONType)
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    overridden_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    assessment: Mapped[Assessment] = relationship(back_populates="decisions")
    overridden_by: Mapped[User | None] = relationship(foreign_keys=[overridden_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class Referral(KeyedAtCreation, Base):
    """A referral to one service, addressed to the partner organisation that runs it."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_queue", "organisation_id", "status", "priority", "created_at"),
        # The day's rows that reports.facts folds.
        Index("ix_referrals_created_at", "created_at"),
        Index("ix_referrals_accepted_at", "accepted_at"),
        Index("ix_referrals_declined_at", "declined_at"),
        Index("ix_referrals_completed_at", "completed_at"),
        # A partner's open queue in its page order (assessments.queue: most urgent urgency, then
        # priority, then oldest), so that a page is an index range read; see the README's
        # Performance section.
        Index(
            "ix_referrals_open_queue",
            "organisation_id",
            # Written as PostgreSQL prints them back, so that the migrations test compares equal.
            text(
                "(\nCASE\n"
                "    WHEN urgency::text = 'same_day'::text THEN 0\n"
                "    WHEN urgency::text = 'urgent'::text THEN 1\n"
                "    WHEN urgency::text = 'routine'::text THEN 2\n"
                "    ELSE 3\n"
                "END)"
            ),
            text(
                "(\nCASE\n"
                "    WHEN priority::text = 'critical'::text THEN 0\n"
                "    WHEN priority::text = 'substantial'::text THEN 1\n"
                "    WHEN priority::text = 'moderate'::text THEN 2\n"
                "    WHEN priority::text = 'low'::text THEN 3\n"
                "    WHEN priority::text = 'no_risk'::text THEN 4\n"
                "    ELSE 5\n"
                "END)"
            ),
            "created_at",
            "id",
            postgresql_where=text("status IN ('pending', 'accepted')"),
            sqlite_where=text("status IN ('pending', 'accepted')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisions.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus, "referral_status"), default=ReferralStatus.PENDING
    )
    #: The referral's own priority and urgency, from its service entry in the decision. An
    #: override of the assessment's overall route or priority never lowers them; they may be
    #: raised, with a reason (``assessments.referrals.raise_priority``).
    priority: Mapped[Priority] = mapped_column(enum_type(Priority, "referral_priority"))
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency, "referral_urgency"))
    priority_raised_at: Mapped[datetime | None]
    priority_raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    priority_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declined_at: Mapped[datetime | None]
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    assessment: Mapped[Assessment] = relationship()
    decision: Mapped[Decision] = relationship()
    client: Mapped[Client] = relationship()
    service: Mapped[Service] = relationship()
    organisation: Mapped[Organisation] = relationship()
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    declined_by: Mapped[User | None] = relationship(foreign_keys=[declined_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    priority_raised_by: Mapped[User | None] = relationship(foreign_keys=[priority_raised_by_id])

    __mapper_args__ = {"version_id_col": version}
