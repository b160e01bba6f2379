"""What the record's timeline shows of support: support started, each review's outcome (with
the agreement recorded) and support ending, beside the assessments, decisions and referrals
(``assessments.timeline``). A fixed number of queries, however long the history."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..assessments.timeline import TimelineEntry, who_did
from ..db import DbSession
from .models import Review, ReviewStatus, SupportPlan
from .services import hours_text


def support_entries(session: DbSession, client_id: uuid.UUID) -> list[TimelineEntry]:
    plans = list(
        session.scalars(
            select(SupportPlan)
            .where(SupportPlan.client_id == client_id)
            .options(
                joinedload(SupportPlan.service),
                joinedload(SupportPlan.organisation),
                joinedload(SupportPlan.created_by),
                joinedload(SupportPlan.referral),
            )
        ).unique()
    )
    reviews = list(
        session.scalars(
            select(Review)
            .where(Review.client_id == client_id, Review.status == ReviewStatus.COMPLETED)
            .options(
                joinedload(Review.plan).joinedload(SupportPlan.service),
                joinedload(Review.plan).joinedload(SupportPlan.organisation),
                joinedload(Review.completed_by),
            )
        ).unique()
    )
    entries = []
    for plan in plans:
        hours = hours_text(plan.minutes_per_week)
        entries.append(
            TimelineEntry(
                plan.created_at,
                "support",
                f"Support started: {plan.service.name}",
                who_did(plan.created_by),
                plan.organisation.name,
                f"From {plan.start_date:%d/%m/%Y}: {plan.summary}"
                + (f", {hours} hours a week" if hours else ""),
                plan.referral.assessment_id if plan.referral else None,
            )
        )
    for review in reviews:
        outcome = review.outcome.label if review.outcome else ""
        if review.end_reason is not None:
            outcome = f"{outcome}: {review.end_reason.label.lower()}"
        agreed = (
            f"; {review.agreed_by.label.lower()} agreed"
            if review.person_agreed and review.agreed_by
            else ""
        )
        if review.carer_agreed:
            agreed += ", and the carer"
        entries.append(
            TimelineEntry(
                review.completed_at or review.created_at,
                "review",
                f"Review of {review.plan.service.name}: {outcome}",
                who_did(review.completed_by),
                review.plan.organisation.name,
                f"{review.reason or ''}{agreed}",
                review.assessment_id,
            )
        )
    return entries


def with_support(
    timeline: Callable[[DbSession, uuid.UUID], Sequence[Any]],
) -> Callable[[DbSession, uuid.UUID], list[Any]]:
    """The record's timeline with the support entries added, newest first."""

    def combined(session: DbSession, client_id: uuid.UUID) -> list[Any]:
        entries = [*timeline(session, client_id), *support_entries(session, client_id)]
        entries.sort(key=lambda e: e.at, reverse=True)
        return entries

    return combined
