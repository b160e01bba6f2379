"""Support arranged for accepted referrals, and its reviews: one set of rules for every door.

The pages (``support.views``) and the API (``api.views_support``) call these functions only.
A support plan, and its reviews, belong to the organisation the referral was addressed to: to
anyone else they do not exist (RecordNotFound). Every view and change is audited in the
caller's transaction; changes are checked against the version the caller last saw.

Queries other parts call (reports, notifications): :func:`reviews_due` (the review queue, due
and overdue) and :func:`six_week_breaches` (the 6-week standard, from ``assessments.clock``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..assessments import referrals
from ..assessments.access import assessment_for
from ..assessments.clock import SupportClock, support_clock, uk_date, uk_today
from ..assessments.models import Assessment, AssessmentStatus, Referral, ReferralStatus
from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError, StaleEdit
from ..partners.models import Service
from ..records.access import access_to, refuse
from ..records.models import Client, SharingView
from ..records.services import RecordNotFound, record_key
from ..scoring.outcomes import Priority
from .models import (
    DEFAULT_POLICY,
    AgreedBy,
    EndReason,
    PlanStatus,
    Review,
    ReviewOutcome,
    ReviewPolicy,
    ReviewStatus,
    SdsOption,
    SupportPlan,
    SupportPlanVersion,
)

MAX_SUMMARY = 2000
MAX_REASON = 2000
MAX_HOURS = Decimal(168)
MAX_COST = Decimal(100000)
#: How far ahead a support start may be recorded.
MAX_START_AHEAD = timedelta(days=366)


class SupportError(DomainError):
    """The support or review cannot be saved; ``errors`` maps fields to messages."""


class StaleSupport(SupportError, StaleEdit):
    """The plan, review or referral changed since the caller read it; nothing was saved."""

    def __init__(self) -> None:
        super().__init__("Someone else changed this since you opened it")


# ------------------------------------------------------------------------------- the terms


@dataclass(frozen=True)
class Terms:
    """A plan's terms, checked: what the support is, hours, SDS option, weekly cost."""

    summary: str
    minutes_per_week: int | None
    sds_option: SdsOption | None
    weekly_cost_pence: int | None


def _decimal(text: str | None, field: str, errors: dict[str, str], what: str) -> Decimal | None:
    raw = (text or "").strip().replace(",", "")
    if field == "weekly_cost":
        raw = raw.removeprefix("£")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        errors[field] = f"Enter {what} as a number, like 12.5"
        return None
    if not value.is_finite():
        errors[field] = f"Enter {what} as a number, like 12.5"
        return None
    if value < 0:
        errors[field] = f"{what.capitalize()} cannot be negative"
        return None
    return value


def check_terms(
    summary: str | None,
    hours_per_week: str | None,
    sds_option: str | None,
    weekly_cost: str | None,
    errors: dict[str, str],
) -> Terms:
    """The terms as typed, checked; problems go into ``errors`` by field."""
    text = (summary or "").strip()
    if not text:
        errors["summary"] = "Say what the support is"
    elif len(text) > MAX_SUMMARY:
        errors["summary"] = f"Describe the support in {MAX_SUMMARY} characters or fewer"
    hours = _decimal(hours_per_week, "hours_per_week", errors, "hours a week")
    if hours is not None and hours > MAX_HOURS:
        errors["hours_per_week"] = "Hours a week must be 168 or fewer"
    elif hours is not None and hours != hours.quantize(Decimal("0.01")):
        errors["hours_per_week"] = "Enter hours a week with at most two decimals, like 12.25"
    minutes = None
    if hours is not None and "hours_per_week" not in errors:
        minutes = int((hours * 60).to_integral_value())
    option = None
    if sds_option:
        try:
            option = SdsOption(str(sds_option).strip())
        except ValueError:
            errors["sds_option"] = "Choose a Self-directed Support option from 1 to 4"
    cost = _decimal(weekly_cost, "weekly_cost", errors, "the weekly cost")
    pence = None
    if cost is not None and "weekly_cost" not in errors:
        if cost > MAX_COST or cost != cost.quantize(Decimal("0.01")):
            errors["weekly_cost"] = "Enter the weekly cost in pounds and pence, like 245.50"
        else:
            pence = int(cost * 100)
    return Terms(text, minutes, option, pence)


def hours_text(minutes: int | None) -> str | None:
    """Minutes a week as decimal hours (``"12.5"``)."""
    if minutes is None:
        return None
    return format((Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize(), "f")


def cost_text(pence: int | None) -> str | None:
    """Pence as pounds with two decimals (``"245.50"``)."""
    if pence is None:
        return None
    return f"{Decimal(pence) / 100:.2f}"


# ------------------------------------------------------------------------------ the policy


def review_policy(session: DbSession, organisation_id: int) -> dict[str, int]:
    """The organisation's review policy, or the default one."""
    rows = list(
        session.scalars(
            select(ReviewPolicy).where(
                or_(
                    ReviewPolicy.organisation_id == organisation_id,
                    ReviewPolicy.organisation_id.is_(None),
                )
            )
        )
    )
    rows.sort(key=lambda row: row.organisation_id is None)
    if not rows:
        return dict(DEFAULT_POLICY)
    row = rows[0]
    return {
        "first_review_days": row.first_review_days,
        "critical_first_review_days": row.critical_first_review_days,
        "review_interval_days": row.review_interval_days,
    }


POLICY_FIELDS = {
    "first_review_days": "The first review",
    "critical_first_review_days": "The first review where the priority is critical",
    "review_interval_days": "The time between reviews",
}


def set_review_policy(
    session: DbSession, actor: Actor, organisation_id: int, days: Mapping[str, int | None]
) -> ReviewPolicy:
    """Set the organisation's own review policy (days for each of ``POLICY_FIELDS``, 1 to
    3650), audited as ``review_policy.change``; plans recorded from now on follow it."""
    errors = {}
    for name, what in POLICY_FIELDS.items():
        value = days.get(name)
        if value is None or not 1 <= value <= 3650:
            errors[name] = f"{what} must be a number of days from 1 to 3650"
    if errors:
        raise SupportError("", errors)
    row = session.scalar(
        select(ReviewPolicy).where(ReviewPolicy.organisation_id == organisation_id)
    )
    if row is None:
        row = ReviewPolicy(organisation_id=organisation_id)
        session.add(row)
    for name in POLICY_FIELDS:
        setattr(row, name, days[name])
    row.updated_at = utcnow()
    row.updated_by_id = actor.user_id
    session.flush()
    record_event(
        session,
        actor,
        "review_policy.change",
        record_type="review_policy",
        record_id=row.id,
        detail={name: days[name] for name in POLICY_FIELDS},
    )
    return row


def _proposed_review(assessment: Assessment) -> date | None:
    """The assessor's proposed review date in the summary section, if given."""
    summary = assessment.answers.get("summary")
    raw = summary.get("review_date") if isinstance(summary, Mapping) else None
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def first_review_due(session: DbSession, referral: Referral, start: date) -> date:
    """The policy's first review (sooner for critical), or the assessor's proposed review date
    where it is earlier (and not before support starts)."""
    policy = review_policy(session, referral.organisation_id)
    days = (
        policy["critical_first_review_days"]
        if referral.priority is Priority.CRITICAL
        else policy["first_review_days"]
    )
    due = start + timedelta(days=days)
    proposed = _proposed_review(referral.assessment)
    if proposed is not None and start <= proposed < due:
        return proposed
    return due


# ------------------------------------------------------------------------- support arranged


def plan_of_referral(session: DbSession, referral_id: uuid.UUID) -> SupportPlan | None:
    return session.scalar(select(SupportPlan).where(SupportPlan.referral_id == referral_id))


def support_started(session: DbSession, referral_ids: list[uuid.UUID]) -> dict[uuid.UUID, date]:
    """When support started for each of these referrals that has a plan (for the queue)."""
    if not referral_ids:
        return {}
    rows = session.execute(
        select(SupportPlan.referral_id, SupportPlan.start_date).where(
            SupportPlan.referral_id.in_(referral_ids)
        )
    )
    # Not dict(rows): a Result has keys(), so dict() would read it as a mapping.
    return {referral_id: start for referral_id, start in rows}  # noqa: C416


def gate(
    session: DbSession, actor: Actor, client: Client, action: str, record: tuple[str, object]
) -> None:
    """Support and reviews are the person's record content: RecordNotFound (noted as a refused
    attempt) where the person's sharing view keeps it from the actor's organisation, as for
    their assessments (``records.access``)."""
    access = access_to(session, actor, client)
    if not access.answers:
        raise refuse(session, actor, action, client, access.decision.reason, record=record)


def open_referral(session: DbSession, actor: Actor, referral_id: uuid.UUID | str) -> Referral:
    """The referral to record support for: gated by the person's sharing (:func:`gate`), then
    ``referrals.open_referral`` (its organisation's only, audited as a view)."""
    referral = session.get(Referral, record_key(referral_id))
    if referral is None:
        raise RecordNotFound(str(referral_id))
    gate(session, actor, referral.client, "support.start", ("referral", referral.id))
    return referrals.open_referral(session, actor, referral.id)


def record_support(
    session: DbSession,
    actor: Actor,
    referral: Referral,
    *,
    start_date: date | None,
    summary: str | None,
    hours_per_week: str | None = None,
    sds_option: str | None = None,
    weekly_cost: str | None = None,
    expected_version: int | None = None,
) -> SupportPlan:
    """Record the support arranged for an accepted referral of the actor's organisation: the
    plan, its first version and its first review, audited as ``support.start``."""
    gate(session, actor, referral.client, "support.start", ("referral", referral.id))
    if referral.organisation_id != actor.organisation_id:
        raise RecordNotFound(str(referral.id))
    if expected_version is not None and expected_version != referral.version:
        raise StaleSupport()
    if referral.status is not ReferralStatus.ACCEPTED:
        raise SupportError(
            f"This referral is {referral.status.label.lower()}: support is recorded for an "
            "accepted referral"
        )
    if plan_of_referral(session, referral.id) is not None:
        raise SupportError("Support has already been recorded for this referral")
    errors: dict[str, str] = {}
    assessed = referral.assessment.submitted_at
    if start_date is None:
        errors["start_date"] = "Enter the date support started, like 27 3 2027"
    elif assessed is not None and start_date < uk_date(assessed):
        errors["start_date"] = (
            "The start date cannot be before the assessment "
            f"({uk_date(assessed).strftime('%-d %B %Y')})"
        )
    elif start_date > uk_today() + MAX_START_AHEAD:
        errors["start_date"] = "The start date must be within a year from today"
    terms = check_terms(summary, hours_per_week, sds_option, weekly_cost, errors)
    if errors:
        raise SupportError("", errors)
    assert start_date is not None
    plan = SupportPlan(
        referral_id=referral.id,
        client_id=referral.client_id,
        organisation_id=referral.organisation_id,
        service_id=referral.service_id,
        start_date=start_date,
        created_by_id=actor.user_id,
        status=PlanStatus.ACTIVE,
        **_columns(terms),
    )
    session.add(plan)
    _new_version(session, actor, plan, "Support started", review=None)
    review = Review(
        plan_id=plan.id,
        client_id=plan.client_id,
        organisation_id=plan.organisation_id,
        due_on=first_review_due(session, referral, start_date),
        assigned_to_id=referral.assigned_to_id,
    )
    session.add(review)
    try:
        session.flush()
    except IntegrityError:
        # Recorded at the same moment by someone else (one plan a referral): the caller rolls
        # the request back, as for any refusal.
        raise SupportError("Support has already been recorded for this referral") from None
    record_event(
        session,
        actor,
        "support.start",
        record_type="support_plan",
        record_id=plan.id,
        client_id=plan.client_id,
        detail={"referral": str(referral.id), "next_review": review.due_on.isoformat()},
    )
    return plan


def _columns(terms: Terms) -> dict[str, object]:
    return {
        "summary": terms.summary,
        "minutes_per_week": terms.minutes_per_week,
        "sds_option": terms.sds_option,
        "weekly_cost_pence": terms.weekly_cost_pence,
    }


def _new_version(
    session: DbSession, actor: Actor, plan: SupportPlan, reason: str, review: Review | None
) -> SupportPlanVersion:
    version = SupportPlanVersion(
        plan=plan,
        number=len(plan.versions) + 1,
        status=plan.status,
        start_date=plan.start_date,
        summary=plan.summary,
        minutes_per_week=plan.minutes_per_week,
        sds_option=plan.sds_option,
        weekly_cost_pence=plan.weekly_cost_pence,
        reason=reason,
        review_id=review.id if review is not None else None,
        changed_at=utcnow(),
        changed_by_id=actor.user_id,
    )
    session.add(version)
    return version


_Owned = TypeVar("_Owned", SupportPlan, Review)


def _of_organisation(
    session: DbSession,
    actor: Actor,
    model: type[_Owned],
    key: uuid.UUID | str,
    action: str,
    kind: str,
    *options: Any,
) -> _Owned:
    """A support plan or review by id: gated by the person's sharing (:func:`gate`), then of the
    actor's organisation only; RecordNotFound for any other."""
    row = session.scalar(select(model).where(model.id == record_key(key)).options(*options))
    if row is None:
        raise RecordNotFound(str(key))
    gate(session, actor, row.client, action, (kind, row.id))
    if row.organisation_id != actor.organisation_id:
        raise RecordNotFound(str(key))
    return row


def _viewed(session: DbSession, actor: Actor, row: _Owned, action: str, kind: str) -> _Owned:
    """``row``, its view audited in this transaction."""
    record_event(
        session, actor, action, record_type=kind, record_id=row.id, client_id=row.client_id
    )
    return row


def plan_for(session: DbSession, actor: Actor, plan_id: uuid.UUID | str) -> SupportPlan:
    """A support plan of the actor's organisation; RecordNotFound for any other."""
    return _of_organisation(
        session,
        actor,
        SupportPlan,
        plan_id,
        "support.view",
        "support_plan",
        joinedload(SupportPlan.referral),
        joinedload(SupportPlan.service),
    )


def open_plan(session: DbSession, actor: Actor, plan_id: uuid.UUID | str) -> SupportPlan:
    """:func:`plan_for`, audited as a view."""
    return _viewed(
        session, actor, plan_for(session, actor, plan_id), "support.view", "support_plan"
    )


def next_review(plan: SupportPlan) -> Review | None:
    """The plan's open review, if any."""
    return next((r for r in plan.reviews if r.status is ReviewStatus.DUE), None)


# --------------------------------------------------------------------------------- reviews


def review_for(session: DbSession, actor: Actor, review_id: uuid.UUID | str) -> Review:
    """A review of the actor's organisation; RecordNotFound for any other."""
    return _of_organisation(
        session,
        actor,
        Review,
        review_id,
        "review.view",
        "review",
        joinedload(Review.plan).joinedload(SupportPlan.referral),
    )


def open_review(session: DbSession, actor: Actor, review_id: uuid.UUID | str) -> Review:
    """:func:`review_for`, audited as a view."""
    return _viewed(session, actor, review_for(session, actor, review_id), "review.view", "review")


def reviews_due(
    session: DbSession,
    organisation_id: int,
    today: date,
    *,
    status: str | None = None,
    due_before: date | None = None,
    worker_id: int | None = None,
    service_id: int | None = None,
    after: tuple[date, uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[Review]:
    """An organisation's reviews, most overdue first. ``status``: ``due`` (every open review,
    the default), ``overdue`` (open and due before ``today``) or ``completed``. ``worker_id``
    gives one worker's queue, ``service_id`` one service's; ``after`` a page's position (due
    date, id)."""
    stmt = (
        select(Review)
        .where(Review.organisation_id == organisation_id)
        .options(
            joinedload(Review.plan).joinedload(SupportPlan.service),
            joinedload(Review.client),
            joinedload(Review.assigned_to),
        )
        .order_by(Review.due_on, Review.id)
    )
    if status == "completed":
        stmt = stmt.where(Review.status == ReviewStatus.COMPLETED)
    else:
        stmt = stmt.where(Review.status == ReviewStatus.DUE)
        if status == "overdue":
            stmt = stmt.where(Review.due_on < today)
    if due_before is not None:
        stmt = stmt.where(Review.due_on < due_before)
    if worker_id is not None:
        stmt = stmt.where(Review.assigned_to_id == worker_id)
    if service_id is not None:
        stmt = stmt.where(Review.plan.has(SupportPlan.service_id == service_id))
    if after is not None:
        stmt = stmt.where(
            or_(Review.due_on > after[0], and_(Review.due_on == after[0], Review.id > after[1]))
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def review_queue(
    session: DbSession,
    actor: Actor,
    today: date,
    *,
    after: tuple[date, uuid.UUID] | None = None,
    limit: int | None = None,
    **filters: Any,
) -> list[Review]:
    """:func:`reviews_due` for the actor's organisation, audited; without the reviews of people
    whose sharing view keeps their record's content from the actor's organisation."""
    found: list[Review] = []
    while True:
        batch = reviews_due(
            session, actor.own_organisation_id, today, after=after, limit=limit, **filters
        )
        found.extend(_visible(session, actor, batch))
        if limit is None or len(batch) < limit or len(found) >= limit:
            break
        after = (batch[-1].due_on, batch[-1].id)
    found = found[:limit] if limit is not None else found
    record_event(
        session,
        actor,
        "review.queue",
        record_type="review",
        record_id="-",
        detail={"results": len(found), "status": str(filters.get("status") or "due")},
    )
    return found


def _visible(session: DbSession, actor: Actor, reviews: list[Review]) -> list[Review]:
    """The reviews whose person's content the actor may know (only people with a recorded
    sharing view are asked about, one query for the rest)."""
    ids = {review.client_id for review in reviews}
    with_views = set(
        session.scalars(
            select(SharingView.client_id).where(SharingView.client_id.in_(ids)).distinct()
        )
    )
    allowed = {
        client_id: access_to(session, actor, review.client).answers
        for review in reviews
        if (client_id := review.client_id) in with_views
    }
    return [review for review in reviews if allowed.get(review.client_id, True)]


def carer_involved(*assessments: Assessment | None) -> bool:
    """Whether an unpaid carer is named: the assessments' unpaid-carer section says so."""
    for assessment in assessments:
        carer = assessment.answers.get("carer") if assessment is not None else None
        if isinstance(carer, Mapping) and (
            carer.get("has_unpaid_carer") is True or str(carer.get("carer_name") or "").strip()
        ):
            return True
    return False


def last_assessment(plan: SupportPlan) -> Assessment:
    """The assessment a review carries forward: the last review's assessment, or the one whose
    decision made the referral."""
    done = [r for r in plan.reviews if r.assessment is not None and r.completed_at is not None]
    if done:
        latest = max(done, key=lambda r: r.completed_at or r.created_at).assessment
        assert latest is not None
        return latest
    return plan.referral.assessment


def start_review_assessment(
    session: DbSession, actor: Actor, review: Review, assessment: Assessment
) -> None:
    """Link the review to its review assessment (started by ``assessments.review``)."""
    if review.status is not ReviewStatus.DUE:
        raise SupportError("This review is completed")
    review.assessment = assessment
    session.flush()


def _agreement(
    review: Review,
    needs: bool,
    person_agreed: bool | None,
    agreed_by: str | None,
    carer_agreed: bool | None,
    carer: bool,
    outcome: ReviewOutcome,
    errors: dict[str, str],
) -> tuple[AgreedBy | None, bool | None]:
    by = None
    if agreed_by:
        try:
            by = AgreedBy(agreed_by)
        except ValueError:
            errors["agreed_by"] = (
                "Choose who agreed: the person, their welfare attorney or guardian"
            )
    if not needs:
        return by, carer_agreed if carer else None
    what = {ReviewOutcome.REDUCE: "reduced", ReviewOutcome.INCREASE: "changed"}.get(
        outcome, "ended"
    )
    if person_agreed is not True:
        errors["person_agreed"] = (
            f"Support can only be {what} with the person's agreement (or their welfare "
            "attorney's or guardian's): record that they agree, or choose another outcome"
        )
    if carer and carer_agreed is not True:
        errors["carer_agreed"] = (
            f"An unpaid carer is involved: support can only be {what} with the carer's "
            "agreement too"
        )
    return by or AgreedBy.PERSON, carer_agreed if carer else None


def _review_assessment(
    session: DbSession,
    actor: Actor,
    review: Review,
    assessment_id: str | None,
    errors: dict[str, str],
) -> Assessment | None:
    """The review's assessment: the one linked to the review (another is refused), or else the
    one named, submitted about the same person since support started or the last review."""
    linked = str(review.assessment_id) if review.assessment_id else None
    if linked and assessment_id and str(record_key(assessment_id)) != linked:
        errors["assessment_id"] = (
            "This review has its own review assessment: record the outcome with that one"
        )
        return None
    wanted = linked or assessment_id
    if not wanted:
        return None
    try:
        assessment = assessment_for(session, actor, wanted)
    except RecordNotFound:
        errors["assessment_id"] = "There is no such review assessment you may see"
        return None
    plan = review.plan
    earlier = [r.completed_at for r in plan.reviews if r.completed_at is not None]
    if assessment.client_id != review.client_id:
        errors["assessment_id"] = "The review assessment is about someone else"
    elif assessment.status is AssessmentStatus.DRAFT or assessment.submitted_at is None:
        errors["assessment_id"] = "Submit the review assessment before recording the outcome"
    elif not linked and (
        assessment.id == plan.referral.assessment_id
        or uk_date(assessment.submitted_at) < plan.start_date
        or (earlier and assessment.submitted_at <= max(earlier))
    ):
        errors["assessment_id"] = (
            "The review assessment must be one submitted since support started (or since "
            "the last review), not the assessment the support was arranged from"
        )
    return assessment


def _changes(plan: SupportPlan, terms: Terms | None) -> dict[str, str]:
    """What new terms change of the plan's: by field, "lower", "higher" or "changed"."""
    if terms is None:
        return {}
    found = {}
    for name, new, old in (
        ("hours_per_week", terms.minutes_per_week, plan.minutes_per_week),
        ("weekly_cost", terms.weekly_cost_pence, plan.weekly_cost_pence),
    ):
        if new is not None and new != old:
            found[name] = "lower" if old is not None and new < old else "higher"
    if terms.sds_option is not None and terms.sds_option != plan.sds_option:
        found["sds_option"] = "changed"
    if terms.summary != plan.summary:
        found["summary"] = "changed"
    return found


def record_outcome(
    session: DbSession,
    actor: Actor,
    review: Review,
    today: date,
    *,
    outcome: str | None,
    reason: str | None,
    end_reason: str | None = None,
    person_agreed: bool | None = None,
    agreed_by: str | None = None,
    carer_agreed: bool | None = None,
    assessment_id: str | None = None,
    terms: Mapping[str, str | None] | None = None,
    expected_version: int | None = None,
) -> Review:
    """Complete a review: the outcome with its reason, the agreement the rule needs, the plan's
    new version and the next review. ``reduce``, or ``end`` by the person's choice, is refused
    without the person's agreement (and the carer's, where a carer is involved); ``end`` for a
    reason outside the person's choice needs neither agreement nor review assessment; any other
    outcome names its review assessment (submitted, about the same person). ``terms`` (summary,
    hours_per_week, sds_option, weekly_cost) change the plan on ``increase`` or ``reduce``:
    an ``increase`` may not lower the hours or the cost (choose ``reduce``), and one that changes
    what the support is or its SDS option needs the agreement too; a ``reduce`` changes the
    terms. The review assessment is the one linked to the review, or else one submitted since
    support started (or since the previous review), not the assessment the referral came from."""
    gate(session, actor, review.client, "review.outcome", ("review", review.id))
    if review.organisation_id != actor.organisation_id:
        raise RecordNotFound(str(review.id))
    if expected_version is not None and expected_version != review.version:
        raise StaleSupport()
    if review.status is not ReviewStatus.DUE:
        raise SupportError("This review has already been completed")
    plan = review.plan
    errors: dict[str, str] = {}
    try:
        chosen = ReviewOutcome(outcome or "")
    except ValueError:
        raise SupportError("", {"outcome": "Choose the outcome of the review"}) from None
    why = (reason or "").strip()
    if not why:
        errors["reason"] = "Say why: the reason for the outcome"
    elif len(why) > MAX_REASON:
        errors["reason"] = f"The reason must be {MAX_REASON} characters or fewer"
    ending = None
    if chosen is ReviewOutcome.END:
        try:
            ending = EndReason(end_reason or "")
        except ValueError:
            errors["end_reason"] = "Choose why the support ends"
    outside = ending is not None and ending.outside_choice
    assessment = _review_assessment(session, actor, review, assessment_id, errors)
    if assessment is None and not outside and not {"assessment_id", "end_reason"} & errors.keys():
        errors["assessment_id"] = (
            "A review needs its review assessment: start it, submit it, then record the "
            "outcome (only an end for death, a move away or long-term care needs none)"
        )
    new_terms = None
    if terms and chosen in (ReviewOutcome.INCREASE, ReviewOutcome.REDUCE):
        new_terms = check_terms(
            terms.get("summary") or plan.summary,
            terms.get("hours_per_week"),
            terms.get("sds_option"),
            terms.get("weekly_cost"),
            errors,
        )
    changed = _changes(plan, new_terms)
    if chosen is ReviewOutcome.INCREASE:
        for name in ("hours_per_week", "weekly_cost") & changed.keys():
            if changed[name] == "lower":
                what = "hours a week" if name == "hours_per_week" else "weekly cost"
                errors[name] = f"This lowers the {what}: choose Reduce"
    elif (
        chosen is ReviewOutcome.REDUCE
        and not changed
        and not {"hours_per_week", "weekly_cost"} & errors.keys()
    ):
        errors["hours_per_week"] = (
            "Nothing is reduced: enter the lower hours a week or weekly cost, or choose "
            "another outcome"
        )
    needs = (
        chosen is ReviewOutcome.REDUCE
        or (chosen is ReviewOutcome.END and not outside)
        or (chosen is ReviewOutcome.INCREASE and bool({"summary", "sds_option"} & changed.keys()))
    )
    carer = carer_involved(plan.referral.assessment, last_assessment(plan), assessment)
    by, carer_said = _agreement(
        review, needs, person_agreed, agreed_by, carer_agreed, carer, chosen, errors
    )
    if errors:
        raise SupportError("", errors)
    if not needs:
        person_agreed, by, carer_said = None, None, None
    interval = review_policy(session, plan.organisation_id)["review_interval_days"]
    now = utcnow()
    review.outcome = chosen
    review.reason = why
    review.end_reason = ending
    if assessment is not None:
        review.assessment = assessment
    review.person_agreed = person_agreed if person_agreed is not None else None
    review.agreed_by = by if person_agreed else None
    review.carer_agreed = carer_said
    if person_agreed or carer_said:
        review.agreement_recorded_at = now
        review.agreement_recorded_by_id = actor.user_id
    review.status = ReviewStatus.COMPLETED
    review.completed_at = now
    review.completed_by_id = actor.user_id
    if new_terms is not None:
        for name, value in _columns(new_terms).items():
            if value is not None:
                setattr(plan, name, value)
    next_due = None
    if chosen is ReviewOutcome.END:
        plan.status = PlanStatus.ENDED
        plan.ended_on = today
    else:
        next_due = today + timedelta(days=interval)
        session.add(
            Review(
                # Through the relationship, so plan.reviews (if loaded) holds it at once.
                plan=plan,
                client_id=plan.client_id,
                organisation_id=plan.organisation_id,
                due_on=next_due,
                assigned_to_id=review.assigned_to_id,
            )
        )
    label = chosen.label if ending is None else f"{chosen.label}: {ending.label.lower()}"
    _new_version(session, actor, plan, f"Review: {label}. {why}", review)
    plan.updated_at = now  # a new version of the plan: its ETag changes
    try:
        session.flush()
    except StaleDataError:
        # Someone else completed the review (or changed the plan) in the meantime.
        raise StaleSupport() from None
    record_event(
        session,
        actor,
        "review.outcome",
        record_type="review",
        record_id=review.id,
        client_id=review.client_id,
        detail={
            "outcome": chosen.value,
            "end_reason": ending.value if ending else None,
            "person_agreed": person_agreed,
            "carer_agreed": carer_said,
            "next_review": next_due.isoformat() if next_due else None,
        },
    )
    return review


# ---------------------------------------------------------------------- the 6-week standard


def clocks(
    session: DbSession, referrals: list[Referral], today: date
) -> dict[uuid.UUID, SupportClock]:
    """The support clock of each referral it applies to (personal care, critical or
    substantial), by referral id."""
    started = support_started(session, [r.id for r in referrals])
    found = {}
    for referral in referrals:
        clock = support_clock(referral, started.get(referral.id), today)
        if clock is not None:
            found[referral.id] = clock
    return found


def six_week_breaches(
    session: DbSession, organisation_id: int | None, today: date, *, service_id: int | None = None
) -> list[tuple[Referral, SupportClock]]:
    """Referrals whose support clock ran out: support started late, or not started and past
    its due day; of one organisation (or all, for ``None``), or of one service, by due day."""
    stmt = (
        select(Referral)
        .join(Service, Referral.service_id == Service.id)
        .where(
            Service.personal_care.is_(True),
            Referral.priority.in_([p for p in Priority if p.is_high]),
            Referral.status != ReferralStatus.DECLINED,
        )
        .options(joinedload(Referral.service), joinedload(Referral.assessment))
    )
    if organisation_id is not None:
        stmt = stmt.where(Referral.organisation_id == organisation_id)
    if service_id is not None:
        stmt = stmt.where(Referral.service_id == service_id)
    found = list(session.scalars(stmt))
    by_id = clocks(session, found, today)
    breaches = [(r, by_id[r.id]) for r in found if r.id in by_id and by_id[r.id].breached]
    breaches.sort(key=lambda pair: pair[1].due_on)
    return breaches
