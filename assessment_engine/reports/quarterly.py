"""The person-level quarterly return: one row per person and support, keyed by CHI.

One service for every door (the API's ``GET /api/v1/reports/return``, the page
``/reports/return`` and ``flask reports return``): the doors parse, call :func:`quarterly_return`
and serialise; the rules are here and in ``kernel.policy.in_return``.

Who is in it: the people the caller's organisation assessed in the quarter (an assessment of
theirs submitted on a UK day of the quarter) or supports in it (a support plan of theirs that
had started by the quarter's last day and had not ended before its first). Quarters are
calendar quarters (Q1 January to March ... Q4 October to December), written ``2026-Q3`` (or
``2026Q3``, as api.md's example has it).

What is in a row:

- each support plan of the organisation in the quarter is a row; a person assessed but not
  supported is one row with the support columns empty;
- the assessment columns are of the person's latest assessment the organisation submitted in
  the quarter; where there is none (support continuing from an earlier quarter, or arranged
  from another partner's assessment), of the assessment the support was arranged from;
- the support's terms (hours, SDS option, weekly cost) are those in force at the quarter's end
  (its last version changed by then); reviews: how many were completed in the quarter, the
  latest completed by its end and its outcome, and the next one due.

No names, addresses or answers: the CHI number is the key. A person whose sharing view keeps
their record from the caller's organisation is left out (only their number is counted, as
``withheld``); see ``kernel.policy.in_return``. Every person exported gets one audit event linked
to their record ("who has seen this record": "Exported in the quarterly return"), in the caller's
transaction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..assessments.clock import UK, uk_date
from ..assessments.models import Assessment, AssessmentStatus, Referral
from ..assessments.services import current_decision
from ..kernel.actor import Actor
from ..kernel.errors import DomainError
from ..records.access import audit_shown, for_return
from ..records.models import Client
from ..support.models import Review, ReviewStatus, SupportPlan, SupportPlanVersion
from ..support.services import cost_text, hours_text

#: The audit trail's action for an export of the return.
EXPORTED = "reports.return"

COLUMNS: tuple[str, ...] = (
    "chi",
    "assessment_id",
    "assessed_on",
    "assessed_by",
    "route",
    "priority",
    "services_referred",
    "support_plan_id",
    "support_service",
    "support_started_on",
    "hours_per_week",
    "sds_option",
    "weekly_cost",
    "support_status",
    "support_ended_on",
    "reviews_completed",
    "last_reviewed_on",
    "last_review_outcome",
    "next_review_due",
)

_QUARTER = re.compile(r"(\d{4})-?Q([1-4])")
#: The earliest year a return may be asked for (before any partner used the service).
FIRST_YEAR = 2000

Row = dict[str, str | None]


class ReturnError(DomainError):
    """The return cannot be made as asked: field -> message."""


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter."""

    year: int
    number: int

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> date:
        following = date(self.year + self.number // 4, (3 * self.number) % 12 + 1, 1)
        return following - timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def words(self) -> str:
        """For people: "July to September 2026"."""
        return f"{self.first:%B} to {self.last:%B} {self.year}"

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str | None, today: date) -> Quarter:
        """The quarter ``text`` names; ReturnError (on ``quarter``) for anything else, and for a
        quarter that has not started yet."""
        match = _QUARTER.fullmatch((text or "").strip().upper())
        if match is None:
            raise ReturnError(
                errors={"quarter": "Enter the quarter as a year and quarter, like 2026-Q3"}
            )
        quarter = cls(int(match.group(1)), int(match.group(2)))
        if quarter.year < FIRST_YEAR:
            raise ReturnError(errors={"quarter": f"Enter a quarter from {FIRST_YEAR} onwards"})
        if quarter.first > today:
            raise ReturnError(
                errors={
                    "quarter": f"{quarter.label} has not started yet; enter a quarter up to now"
                }
            )
        return quarter


def recent_quarters(today: date, count: int = 8) -> list[Quarter]:
    """The quarter ``today`` is in and the ones before it, newest first (the page's choices)."""
    found = [Quarter.of(today)]
    while len(found) < count:
        found.append(found[-1].previous())
    return found


@dataclass(frozen=True)
class QuarterlyReturn:
    quarter: Quarter
    rows: list[Row]
    #: People exported (each has one or more rows).
    people: int
    #: People left out because their sharing view keeps them from the caller's organisation.
    withheld: int


def _utc_bounds(quarter: Quarter) -> tuple[datetime, datetime]:
    """The quarter's UK days as UTC moments: [first midnight, the midnight after the last day)."""
    start = datetime.combine(quarter.first, time(), UK).astimezone(UTC)
    end = datetime.combine(quarter.last + timedelta(days=1), time(), UK).astimezone(UTC)
    return start, end


def _assessed(session: Session, organisation_id: int, quarter: Quarter) -> list[Assessment]:
    start, end = _utc_bounds(quarter)
    found = session.scalars(
        select(Assessment)
        .where(
            Assessment.organisation_id == organisation_id,
            Assessment.status.in_([AssessmentStatus.SUBMITTED, AssessmentStatus.SIGNED_OFF]),
            Assessment.submitted_at >= start,
            Assessment.submitted_at < end,
        )
        .options(
            joinedload(Assessment.client),
            joinedload(Assessment.organisation),
            selectinload(Assessment.decisions),
        )
    )
    return list(found)


def _supported(session: Session, organisation_id: int, quarter: Quarter) -> list[SupportPlan]:
    return list(
        session.scalars(
            select(SupportPlan)
            .where(
                SupportPlan.organisation_id == organisation_id,
                SupportPlan.start_date <= quarter.last,
                or_(SupportPlan.ended_on.is_(None), SupportPlan.ended_on >= quarter.first),
            )
            .options(
                joinedload(SupportPlan.client),
                joinedload(SupportPlan.service),
                joinedload(SupportPlan.referral)
                .joinedload(Referral.assessment)
                .options(joinedload(Assessment.organisation), selectinload(Assessment.decisions)),
                selectinload(SupportPlan.versions),
                selectinload(SupportPlan.reviews),
            )
        )
    )


def _services_referred(session: Session, assessments: Iterable[Assessment]) -> dict[object, str]:
    """Each assessment's referred services, by name, "; " between them."""
    ids = {assessment.id for assessment in assessments}
    names: dict[object, list[str]] = defaultdict(list)
    for referral in session.scalars(
        select(Referral)
        .where(Referral.assessment_id.in_(ids))
        .options(joinedload(Referral.service))
        .order_by(Referral.id)
    ):
        names[referral.assessment_id].append(referral.service.name)
    return {key: "; ".join(sorted(value)) for key, value in names.items()}


def _assessment_columns(assessment: Assessment, services: dict[object, str]) -> Row:
    decision = current_decision(assessment)
    assert assessment.submitted_at is not None
    return {
        "assessment_id": str(assessment.id),
        "assessed_on": uk_date(assessment.submitted_at).isoformat(),
        "assessed_by": assessment.organisation.slug,
        "route": decision.route.value if decision else None,
        "priority": decision.priority.value if decision else None,
        "services_referred": services.get(assessment.id, ""),
    }


def _terms_at(plan: SupportPlan, day: date) -> SupportPlanVersion | None:
    """The plan's terms in force at the end of ``day``: its last version changed by then."""
    by_then = [v for v in plan.versions if uk_date(v.changed_at) <= day]
    return by_then[-1] if by_then else (plan.versions[0] if plan.versions else None)


def _support_columns(plan: SupportPlan, quarter: Quarter) -> Row:
    terms = _terms_at(plan, quarter.last)
    completed = sorted(
        (r for r in plan.reviews if r.completed_at is not None),
        key=lambda r: (r.completed_at, str(r.id)),
    )
    in_quarter = [r for r in completed if quarter.first <= _completed_on(r) <= quarter.last]
    by_end = [r for r in completed if _completed_on(r) <= quarter.last]
    latest = by_end[-1] if by_end else None
    upcoming = next((r for r in plan.reviews if r.status is ReviewStatus.DUE), None)
    ended = plan.ended_on is not None and plan.ended_on <= quarter.last
    minutes, sds, pence = (
        (terms.minutes_per_week, terms.sds_option, terms.weekly_cost_pence)
        if terms is not None
        else (plan.minutes_per_week, plan.sds_option, plan.weekly_cost_pence)
    )
    return {
        "support_plan_id": str(plan.id),
        "support_service": plan.service.name,
        "support_started_on": plan.start_date.isoformat(),
        "hours_per_week": hours_text(minutes),
        "sds_option": sds.value if sds is not None else None,
        "weekly_cost": cost_text(pence),
        "support_status": "ended" if ended else "active",
        "support_ended_on": plan.ended_on.isoformat() if ended and plan.ended_on else None,
        "reviews_completed": str(len(in_quarter)),
        "last_reviewed_on": _completed_on(latest).isoformat() if latest else None,
        "last_review_outcome": latest.outcome.value if latest and latest.outcome else None,
        "next_review_due": upcoming.due_on.isoformat() if upcoming else None,
    }


def _completed_on(review: Review) -> date:
    assert review.completed_at is not None
    return uk_date(review.completed_at)


def quarterly_return(session: Session, actor: Actor, quarter: Quarter) -> QuarterlyReturn:
    """The return of ``actor``'s organisation for ``quarter``, audited on every exported
    person's record; AccessDenied (``records.access``) for a role that may not export it."""
    assert actor.organisation_id is not None
    assessed = [
        a
        for a in _assessed(session, actor.organisation_id, quarter)
        if a.submitted_at is not None and quarter.first <= uk_date(a.submitted_at) <= quarter.last
    ]
    plans = _supported(session, actor.organisation_id, quarter)
    people: dict[object, Client] = {a.client_id: a.client for a in assessed}
    people.update((plan.client_id, plan.client) for plan in plans)
    access = for_return(session, actor, sorted(people.values(), key=lambda c: c.chi))
    exported = {client.id for client in access.exported}

    latest: dict[object, Assessment] = {}
    for assessment in sorted(assessed, key=lambda a: (a.submitted_at, str(a.id))):
        latest[assessment.client_id] = assessment
    plans_of: dict[object, list[SupportPlan]] = defaultdict(list)
    for running in sorted(plans, key=lambda p: (p.start_date, str(p.id))):
        plans_of[running.client_id].append(running)
    shown = [a for key, a in latest.items() if key in exported]
    shown += [p.referral.assessment for key, ps in plans_of.items() if key in exported for p in ps]
    services = _services_referred(session, shown)

    rows: list[Row] = []
    for client in access.exported:
        own = latest.get(client.id)
        # Columns a row has no value for (a person assessed, not supported) are empty.
        entries: list[SupportPlan | None] = [*plans_of.get(client.id, [])] or [None]
        for plan in entries:
            source = own or (plan.referral.assessment if plan is not None else None)
            row: Row = {"chi": client.chi}
            row.update(_assessment_columns(source, services) if source else {})
            row.update(_support_columns(plan, quarter) if plan else {})
            rows.append({column: row.get(column) for column in COLUMNS})
    audit_shown(
        session,
        actor,
        EXPORTED,
        "report",
        [client.id for client in access.exported],
        {
            "quarter": quarter.label,
            "rows": len(rows),
            "people": len(access.exported),
            "withheld": access.withheld,
        },
    )
    return QuarterlyReturn(quarter, rows, len(access.exported), access.withheld)
