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
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..assessments.clock import UK, uk_date
from ..assessments.models import Assessment, AssessmentStatus, Decision, DecisionKind, Referral
from ..db import DbSession
from ..kernel.actor import Actor
from ..kernel.errors import DomainError
from ..partners.models import Organisation, Service
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


@dataclass(frozen=True)
class _Assessed:
    """What the return shows of one assessment (read as columns: no answers, no trace)."""

    id: uuid.UUID
    client_id: uuid.UUID
    chi: str
    owner_id: int
    submitted_at: datetime
    organisation: str
    route: str | None
    priority: str | None


def _assessments(session: DbSession, *where: ColumnElement[bool]) -> dict[uuid.UUID, _Assessed]:
    """Submitted assessments matching ``where``, each with its submission decision's final route
    and priority (the latest, where an override added one), by id."""
    rows = session.execute(
        select(
            Assessment.id,
            Assessment.client_id,
            Client.chi,
            Client.organisation_id,
            Assessment.submitted_at,
            Organisation.slug,
            Decision.route,
            Decision.priority,
        )
        .join(Client, Client.id == Assessment.client_id)
        .join(Organisation, Organisation.id == Assessment.organisation_id)
        .outerjoin(
            Decision,
            and_(Decision.assessment_id == Assessment.id, Decision.kind == DecisionKind.SUBMISSION),
        )
        .where(
            Assessment.status.in_([AssessmentStatus.SUBMITTED, AssessmentStatus.SIGNED_OFF]),
            Assessment.submitted_at.is_not(None),
            *where,
        )
        .order_by(Decision.created_at)
    )
    found: dict[uuid.UUID, _Assessed] = {}
    for key, client_id, chi, owner, submitted, slug, route, priority in rows:
        assert submitted is not None  # asked for in the query
        found[key] = _Assessed(
            key,
            client_id,
            chi,
            owner,
            submitted,
            slug,
            route.value if route is not None else None,
            priority.value if priority is not None else None,
        )
    return found


def assessed_in(organisation_id: int, quarter: Quarter) -> list[ColumnElement[bool]]:
    """An organisation's assessments submitted on a UK day of ``quarter``."""
    start, end = _utc_bounds(quarter)
    return [
        Assessment.organisation_id == organisation_id,
        Assessment.submitted_at >= start,
        Assessment.submitted_at < end,
    ]


def running_in(organisation_id: int, quarter: Quarter) -> list[ColumnElement[bool]]:
    """An organisation's support plans started by the quarter's last day, not ended before
    its first."""
    return [
        SupportPlan.organisation_id == organisation_id,
        SupportPlan.start_date <= quarter.last,
        or_(SupportPlan.ended_on.is_(None), SupportPlan.ended_on >= quarter.first),
    ]


def _supported(session: DbSession, organisation_id: int, quarter: Quarter) -> list[SupportPlan]:
    return list(
        session.scalars(
            select(SupportPlan)
            .where(*running_in(organisation_id, quarter))
            .options(
                joinedload(SupportPlan.client),
                joinedload(SupportPlan.service),
                joinedload(SupportPlan.referral).load_only(Referral.assessment_id),
                selectinload(SupportPlan.versions),
                selectinload(SupportPlan.reviews),
            )
        )
    )


def _services_referred(session: DbSession, assessments: Any) -> dict[uuid.UUID, str]:
    """The referred services of the assessments ``assessments`` selects (a subquery or ids),
    by name, "; " between them."""
    names: dict[uuid.UUID, list[str]] = defaultdict(list)
    for assessment_id, name in session.execute(
        select(Referral.assessment_id, Service.name)
        .join(Service, Service.id == Referral.service_id)
        .where(Referral.assessment_id.in_(assessments))
    ):
        names[assessment_id].append(name)
    return {key: "; ".join(sorted(value)) for key, value in names.items()}


def _assessment_columns(assessment: _Assessed, services: dict[uuid.UUID, str]) -> Row:
    return {
        "assessment_id": str(assessment.id),
        "assessed_on": uk_date(assessment.submitted_at).isoformat(),
        "assessed_by": assessment.organisation,
        "route": assessment.route,
        "priority": assessment.priority,
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


def quarterly_return(session: DbSession, actor: Actor, quarter: Quarter) -> QuarterlyReturn:
    """The return of ``actor``'s organisation for ``quarter``, audited on every exported
    person's record; AccessDenied (``records.access``) for a role that may not export it."""
    assert actor.organisation_id is not None
    organisation_id = actor.organisation_id
    in_quarter = assessed_in(organisation_id, quarter)
    assessed = _assessments(session, *in_quarter)
    plans = _supported(session, organisation_id, quarter)
    # The assessments the plans were arranged from, as a subquery: a list of their ids would
    # bind one parameter each, past what a statement may hold (PostgreSQL 65,535; SQLite, as
    # built by default, 32,766) at a national partner's quarter.
    arranged_from = (
        select(Referral.assessment_id)
        .join(SupportPlan, SupportPlan.referral_id == Referral.id)
        .where(*running_in(organisation_id, quarter))
    )
    sources = _assessments(session, Assessment.id.in_(arranged_from))
    owners = {a.client_id: a.owner_id for a in assessed.values()}
    owners.update((plan.client_id, plan.client.organisation_id) for plan in plans)
    access = for_return(session, actor, owners)
    exported = access.exported

    latest: dict[uuid.UUID, _Assessed] = {}
    for assessment in sorted(assessed.values(), key=lambda a: (a.submitted_at, str(a.id))):
        latest[assessment.client_id] = assessment
    plans_of: dict[uuid.UUID, list[SupportPlan]] = defaultdict(list)
    for running in sorted(plans, key=lambda p: (p.start_date, str(p.id))):
        plans_of[running.client_id].append(running)
    services = _services_referred(
        session, select(Assessment.id).where(*in_quarter).scalar_subquery()
    )
    services.update(_services_referred(session, arranged_from))
    chis = {a.client_id: a.chi for a in assessed.values()}
    chis.update((plan.client_id, plan.client.chi) for plan in plans)

    rows: list[Row] = []
    for client_id in sorted(exported, key=lambda key: chis[key]):
        own = latest.get(client_id)
        # Columns a row has no value for (a person assessed, not supported) are empty.
        entries: list[SupportPlan | None] = [*plans_of.get(client_id, [])] or [None]
        for plan in entries:
            source = own or (sources.get(plan.referral.assessment_id) if plan else None)
            row: Row = {"chi": chis[client_id]}
            row.update(_assessment_columns(source, services) if source else {})
            row.update(_support_columns(plan, quarter) if plan else {})
            rows.append({column: row.get(column) for column in COLUMNS})
    audit_shown(
        session,
        actor,
        EXPORTED,
        "report",
        sorted(exported, key=lambda key: chis[key]),
        {
            "quarter": quarter.label,
            "rows": len(rows),
            "people": len(exported),
            "withheld": access.withheld,
        },
    )
    return QuarterlyReturn(quarter, rows, len(exported), access.withheld)
