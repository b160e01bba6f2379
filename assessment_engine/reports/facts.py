"""Folding finished days into insert-only facts, and checking them against a recount.

One event is one count on the UK day it happened (``assessments.clock.uk_date``):

=================  ==========================================  ==================================
measure            the event                                   ``days`` (the histogram's bucket)
=================  ==========================================  ==================================
started            an assessment was started                   -
submitted          an assessment was submitted                 days from its start
referred           a referral was made                         -
accepted           a referral was accepted                     days from the referral
declined           a referral was declined                     -
completed          a referral was completed                    -
support_started    support was recorded for a referral         days from the assessment to the
                                                               support's start date
standard_met       ... under the 6-week standard, in time      -
standard_late      ... under the 6-week standard, late         -
=================  ==========================================  ==================================

Assessments count for the organisation that assessed, referrals and support for the one that
receives them. Each event's dimensions are what it had when its day was folded (a decision
overridden later is not refolded: :func:`check` then shows the day as differing).

:func:`events_between` reads the detail rows of a span of time; :func:`fold_day` writes one
day's facts once; :func:`check` recounts every folded day from the detail rows, in one pass
over the whole span rather than day by day, and compares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..assessments.clock import UK, support_clock, uk_date
from ..assessments.models import Assessment, Decision, DecisionKind, Referral
from ..db import DbSession
from ..records.models import Client
from ..support.models import SupportPlan
from .models import DailyFact, FoldedDay

MEASURES = (
    "started",
    "submitted",
    "referred",
    "accepted",
    "declined",
    "completed",
    "support_started",
    "standard_met",
    "standard_late",
)


class FactKey(NamedTuple):
    """One fact's day and dimensions (everything but its count)."""

    day: date
    measure: str
    organisation_id: int
    service_id: int | None = None
    route: str = ""
    priority: str = ""
    district: str = ""
    days: int | None = None


def postcode_district(postcode: str | None) -> str:
    """The outward code of a UK postcode ("PH1 5AB" -> "PH1"), or "" for none."""
    text = "".join((postcode or "").upper().split())
    if len(text) < 5:
        return ""
    return text[:-3][:4]


def uk_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC moments from the start of UK day ``first`` to the end of UK day ``last``."""
    start = datetime.combine(first, time(0), UK).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), UK).astimezone(UTC)
    return start, end


def _submission_routes(
    session: DbSession, assessment_ids: set[object]
) -> dict[object, tuple[str, str]]:
    """Each submitted assessment's final route and priority (its latest submission decision)."""
    if not assessment_ids:
        return {}
    rows = session.execute(
        select(Decision.assessment_id, Decision.route, Decision.priority)
        .where(Decision.assessment_id.in_(assessment_ids), Decision.kind == DecisionKind.SUBMISSION)
        .order_by(Decision.created_at)
    )
    return {row.assessment_id: (row.route.value, row.priority.value) for row in rows}


def events_between(session: DbSession, start: datetime, end: datetime) -> Iterator[FactKey]:
    """One key per event that happened from ``start`` (inclusive) to ``end`` (exclusive)."""
    started = session.execute(
        select(Assessment.created_at, Assessment.organisation_id, Client.postcode)
        .join(Client, Assessment.client_id == Client.id)
        .where(Assessment.created_at >= start, Assessment.created_at < end)
    )
    for row in started:
        yield FactKey(
            uk_date(row.created_at),
            "started",
            row.organisation_id,
            district=postcode_district(row.postcode),
        )
    submitted = session.execute(
        select(
            Assessment.id,
            Assessment.created_at,
            Assessment.submitted_at,
            Assessment.organisation_id,
            Client.postcode,
        )
        .join(Client, Assessment.client_id == Client.id)
        .where(Assessment.submitted_at >= start, Assessment.submitted_at < end)
    ).all()
    routes = _submission_routes(session, {sub.id for sub in submitted})
    for sub in submitted:
        route, priority = routes.get(sub.id, ("", ""))
        day = uk_date(sub.submitted_at)
        yield FactKey(
            day,
            "submitted",
            sub.organisation_id,
            route=route,
            priority=priority,
            district=postcode_district(sub.postcode),
            days=(day - uk_date(sub.created_at)).days,
        )
    yield from _referral_events(session, start, end)
    yield from _support_events(session, start, end)


def _referral_events(session: DbSession, start: datetime, end: datetime) -> Iterator[FactKey]:
    moments = {
        "referred": Referral.created_at,
        "accepted": Referral.accepted_at,
        "declined": Referral.declined_at,
        "completed": Referral.completed_at,
    }
    for measure, moment in moments.items():
        rows = session.execute(
            select(
                moment.label("at"),
                Referral.created_at,
                Referral.organisation_id,
                Referral.service_id,
                Referral.priority,
                Decision.route,
                Client.postcode,
            )
            .join(Decision, Referral.decision_id == Decision.id)
            .join(Client, Referral.client_id == Client.id)
            .where(moment >= start, moment < end)
        )
        for row in rows:
            day = uk_date(row.at)
            yield FactKey(
                day,
                measure,
                row.organisation_id,
                row.service_id,
                row.route.value,
                row.priority.value,
                postcode_district(row.postcode),
                (day - uk_date(row.created_at)).days if measure == "accepted" else None,
            )


def _support_events(session: DbSession, start: datetime, end: datetime) -> Iterator[FactKey]:
    referral = aliased(Referral)
    plans = session.execute(
        select(SupportPlan, referral)
        .join(referral, SupportPlan.referral_id == referral.id)
        .where(SupportPlan.created_at >= start, SupportPlan.created_at < end)
    ).all()
    for plan, ref in plans:
        day = uk_date(plan.created_at)
        submitted = ref.assessment.submitted_at
        dims = {
            "service_id": ref.service_id,
            "route": ref.decision.route.value,
            "priority": ref.priority.value,
            "district": postcode_district(ref.client.postcode),
        }
        waited = None if submitted is None else (plan.start_date - uk_date(submitted)).days
        yield FactKey(day, "support_started", ref.organisation_id, days=waited, **dims)  # type: ignore[arg-type]
        clock = support_clock(ref, plan.start_date, day)
        if clock is not None:
            measure = "standard_met" if clock.met else "standard_late"
            yield FactKey(day, measure, ref.organisation_id, **dims)  # type: ignore[arg-type]


def count_events(session: DbSession, first: date, last: date) -> Counter[FactKey]:
    """Every event of UK days ``first`` to ``last``, counted by key."""
    return Counter(events_between(session, *uk_bounds(first, last)))


def fold_day(session: DbSession, day: date) -> int:
    """Write ``day``'s facts and mark it folded (the caller commits); a day already folded is
    refused by its primary key, so two runners never fold it twice."""
    counts = count_events(session, day, day)
    session.add(FoldedDay(day=day, facts=len(counts)))
    session.flush()
    session.add_all(DailyFact(**key._asdict(), count=n) for key, n in counts.items())
    return len(counts)


def last_folded(session: DbSession) -> date | None:
    found: date | None = session.scalar(select(func.max(FoldedDay.day)))
    return found


def first_event_day(session: DbSession) -> date | None:
    """The UK day of the oldest assessment (nothing is reported before one is started)."""
    oldest: datetime | None = session.scalar(select(func.min(Assessment.created_at)))
    return None if oldest is None else uk_date(oldest)


def fold_due(session: DbSession, today: date, *, most: int = 400) -> list[date]:
    """Fold each finished UK day (before ``today``) not yet folded, oldest first, at most
    ``most`` days a run, committing each day."""
    last = last_folded(session)
    nxt = last + timedelta(days=1) if last is not None else first_event_day(session)
    folded: list[date] = []
    while nxt is not None and nxt < today and len(folded) < most:
        fold_day(session, nxt)
        session.commit()
        folded.append(nxt)
        nxt += timedelta(days=1)
    return folded


def stored_facts(session: DbSession, first: date, last: date) -> Counter[FactKey]:
    """The facts of UK days ``first`` to ``last``, summed by key."""
    found: Counter[FactKey] = Counter()
    rows = session.scalars(select(DailyFact).where(DailyFact.day >= first, DailyFact.day <= last))
    for fact in rows:
        found[
            FactKey(
                fact.day,
                fact.measure,
                fact.organisation_id,
                fact.service_id,
                fact.route,
                fact.priority,
                fact.district,
                fact.days,
            )
        ] += fact.count
    return found


@dataclass(frozen=True)
class CheckResult:
    first: date | None
    last: date | None
    facts: int
    events: int
    #: Days whose facts differ from the recount, oldest first.
    differing: list[date]

    @property
    def ok(self) -> bool:
        return not self.differing

    def __str__(self) -> str:
        if self.first is None:
            return "no day has been folded yet"
        span = f"{self.first.isoformat()} to {self.last.isoformat() if self.last else ''}"
        if self.ok:
            return f"the facts of {span} equal a recount: {self.events} events"
        days = ", ".join(day.isoformat() for day in self.differing[:10])
        return f"the facts of {span} differ from a recount on {len(self.differing)} days: {days}"


def check(session: DbSession) -> CheckResult:
    """Recount every folded day from the detail rows and compare with the stored facts."""
    first = session.scalar(select(func.min(FoldedDay.day)))
    last = last_folded(session)
    if first is None or last is None:
        return CheckResult(None, None, 0, 0, [])
    recount = count_events(session, first, last)
    stored = stored_facts(session, first, last)
    differing = sorted(
        {key.day for key in set(recount) | set(stored) if recount[key] != stored[key]}
    )
    return CheckResult(first, last, sum(stored.values()), sum(recount.values()), differing)
