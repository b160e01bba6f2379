"""The outputs and outcomes figures: one service for the page, its CSV and the API.

Who sees what is the access policy's (``kernel.policy.outputs_scope``): a team manager (or a
partner system) its own organisation's counts, and a team manager also, on a page of its own
(``overdue_people``: the figures name no one), the people whose support is overdue under the
6-week standard, each as far as their sharing views allow (``records.access.listed``,
audited); a partnership lead every partner's counts with small numbers suppressed and never a
person.

Counts and times of finished days are summed from the daily facts (``reports.facts``); the
days after the last one folded (today, normally) are counted from the detail rows. What is
"now" (referrals waiting, reviews due and overdue, support not started past its due day) is
counted from the detail rows, by ``support.services``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, delete, exists, func, or_, select
from sqlalchemy.orm import QueryableAttribute, joinedload

from ..assessments.clock import ALLOWED_DAYS, support_clock
from ..assessments.models import Assessment, Referral, ReferralStatus
from ..db import DbSession, utcnow
from ..kernel import policy
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError
from ..partners.models import Organisation, Service
from ..records.access import AccessDenied, actor_facts, listed
from ..records.models import Client
from ..scoring.outcomes import Priority, Route
from ..support.models import SupportPlan
from ..support.services import reviews_due
from .csv import Cell
from .facts import FactKey, count_events, last_folded, uk_bounds
from .models import DailyFact, NowSnapshot

#: How far back the page looks when no start is given.
DEFAULT_DAYS = 365
#: The longest span one request may ask for.
MOST_DAYS = 3 * 366


class ReportError(DomainError):
    """A filter the figures cannot be made for (on the field it names)."""


@dataclass(frozen=True)
class Filters:
    first: date
    last: date
    organisation_id: int | None = None
    service_id: int | None = None
    route: str = ""
    priority: str = ""
    district: str = ""

    def query(self) -> dict[str, str]:
        """As the page's and the API's query string (for links and the CSV download)."""
        found = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        for name, value in (
            ("organisation", self.organisation_id),
            ("service", self.service_id),
            ("route", self.route),
            ("priority", self.priority),
            ("locality", self.district),
        ):
            if value:
                found[name] = str(value)
        return found


def _day(text: str | None, field_name: str, errors: dict[str, str], default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field_name] = "Enter a real date, like 2026-04-01"
        return default


def _number(text: str | None, field_name: str, errors: dict[str, str], what: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        errors[field_name] = f"Choose {what} from the list"
        return None
    return int(text)


def parse_filters(args: Mapping[str, str], today: date) -> Filters:
    """The filters of a query string (``from``, ``to``, ``organisation``, ``service``,
    ``route``, ``priority``, ``locality``); ReportError names each field that is wrong."""
    errors: dict[str, str] = {}
    last = _day(args.get("to"), "to", errors, today)
    first = _day(args.get("from"), "from", errors, last - timedelta(days=DEFAULT_DAYS - 1))
    if not errors and first > last:
        errors["from"] = "The start date must be on or before the end date"
    elif not errors and (last - first).days >= MOST_DAYS:
        errors["from"] = "Choose a span of at most 3 years"
    route = args.get("route") or ""
    if route and route not in {r.value for r in Route}:
        errors["route"] = "Choose a route from the list"
    priority = args.get("priority") or ""
    if priority and priority not in {p.value for p in Priority}:
        errors["priority"] = "Choose a priority from the list"
    district = "".join((args.get("locality") or "").upper().split())
    if district and (len(district) > 4 or not district.isalnum() or not district[0].isalpha()):
        errors["locality"] = "Enter a postcode district, like PH1"
    organisation = _number(args.get("organisation"), "organisation", errors, "an organisation")
    service = _number(args.get("service"), "service", errors, "a service")
    if errors:
        raise ReportError(errors=errors)
    return Filters(first, last, organisation, service, route, priority, district)


@dataclass
class Table:
    """One table of figures; the page shows it (and its chart), the CSV writes it."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    #: What a reader needs to know to read it right.
    note: str = ""


@dataclass
class Breach:
    """A person whose personal care did not start within the standard (team managers only)."""

    client_id: str
    name: str
    service: str
    assessed_on: date
    due_on: date
    started_on: date | None
    words: str


@dataclass
class Outputs:
    filters: Filters
    scope: policy.OutputsScope
    organisations: list[Organisation]
    services: list[Service]
    tables: dict[str, Table] = field(default_factory=dict)
    #: Whether the actor may open the list of the people overdue (``overdue_people``).
    lists_people: bool = False
    #: How many referrals' support is overdue now (the 6-week standard, not started).
    overdue: int = 0
    #: When the "now" counts were taken by the scheduled runner (None: counted for this page).
    now_as_of: datetime | None = None
    #: Counts below this are shown as "<N" (the partnership view); 0 shows everything.
    suppress_below: int = 0
    folded_to: date | None = None

    def table(self, key: str) -> Table:
        return self.tables[key]


# --------------------------------------------------------------------------- summing facts


def _month_of(day: Any) -> str:
    return str(day)[:7]


def _facts(session: DbSession, filters: Filters, last: date) -> Select[Any]:
    """The facts of the filters' organisations and dimensions, from ``filters.first`` to
    ``last``, grouped by the columns each caller adds."""
    conditions: list[ColumnElement[bool]] = [
        DailyFact.day >= filters.first,
        DailyFact.day <= last,
    ]
    if filters.organisation_id is not None:
        conditions.append(DailyFact.organisation_id == filters.organisation_id)
    if filters.service_id is not None:
        conditions.append(DailyFact.service_id == filters.service_id)
    if filters.route:
        conditions.append(DailyFact.route == filters.route)
    if filters.priority:
        conditions.append(DailyFact.priority == filters.priority)
    if filters.district:
        conditions.append(DailyFact.district == filters.district)
    return select(func.sum(DailyFact.count).label("n")).where(*conditions)


def _month_column(session: DbSession) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(DailyFact.day, "YYYY-MM")
    return func.strftime("%Y-%m", DailyFact.day)


def _keep(key: FactKey, filters: Filters) -> bool:
    """Whether an event counted from the detail rows falls within the filters (as
    :func:`_facts` asks of the stored facts)."""
    return (
        (filters.organisation_id is None or key.organisation_id == filters.organisation_id)
        and (filters.service_id is None or key.service_id == filters.service_id)
        and (not filters.route or key.route == filters.route)
        and (not filters.priority or key.priority == filters.priority)
        and (not filters.district or key.district == filters.district)
    )


@dataclass
class Sums:
    """The summed facts the tables are made of."""

    #: (measure, month, route, priority) -> count
    by_month: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    #: (measure, organisation, service) -> count
    by_service: Counter[tuple[str, int, int | None]] = field(default_factory=Counter)
    #: measure -> days -> count
    histograms: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, key: FactKey, n: int) -> None:
        self.by_month[(key.measure, _month_of(key.day), key.route, key.priority)] += n
        self.by_service[(key.measure, key.organisation_id, key.service_id)] += n
        if key.days is not None:
            self.histograms[key.measure][key.days] += n


def sum_facts(session: DbSession, filters: Filters, today: date) -> tuple[Sums, date | None]:
    """The facts of the filters' span, plus the days after the last one folded counted from
    the detail rows; and the last day folded."""
    sums = Sums()
    folded = last_folded(session)
    stored_to = min(filters.last, folded) if folded is not None else None
    if stored_to is not None and stored_to >= filters.first:
        month = _month_column(session).label("month")
        base = _facts(session, filters, stored_to)
        for row in session.execute(
            base.add_columns(
                DailyFact.measure, month, DailyFact.route, DailyFact.priority
            ).group_by(DailyFact.measure, month, DailyFact.route, DailyFact.priority)
        ):
            sums.by_month[(row.measure, row.month, row.route, row.priority)] += int(row.n)
        for row in session.execute(
            base.add_columns(
                DailyFact.measure, DailyFact.organisation_id, DailyFact.service_id
            ).group_by(DailyFact.measure, DailyFact.organisation_id, DailyFact.service_id)
        ):
            sums.by_service[(row.measure, row.organisation_id, row.service_id)] += int(row.n)
        for row in session.execute(
            base.add_columns(DailyFact.measure, DailyFact.days)
            .where(DailyFact.days.is_not(None))
            .group_by(DailyFact.measure, DailyFact.days)
        ):
            sums.histograms[row.measure][row.days] += int(row.n)
    live_from = filters.first if stored_to is None else max(filters.first, stored_to + timedelta(1))
    live_to = min(filters.last, today)
    if live_from <= live_to:
        for key, n in count_events(session, live_from, live_to).items():
            if _keep(key, filters):
                sums.add(key, n)
    return sums, folded


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile (``share`` of 1) of a histogram of whole days."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return days
    raise AssertionError("unreachable: the ranks add up to the total")


# --------------------------------------------------------------------------- the tables


def _months(first: date, last: date) -> list[str]:
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(day.isoformat()[:7])
        day = (day + timedelta(days=32)).replace(day=1)
    return found


class _Shown:
    """Counts as shown: small ones suppressed where the scope says so."""

    def __init__(self, below: int) -> None:
        self.below = below

    def count(self, n: int) -> Cell:
        return f"<{self.below}" if 0 < n < self.below else n

    def share(self, part: int, whole: int) -> Cell:
        if whole == 0:
            return None
        if self.below and (0 < part < self.below or whole < self.below):
            return f"<{self.below}"
        return round(100 * part / whole, 1)

    def days(self, histogram: Mapping[int, int], share: float) -> Cell:
        total = sum(histogram.values())
        if self.below and 0 < total < self.below:
            return f"<{self.below}"
        return percentile(histogram, share)


def _activity(sums: Sums, months: list[str], shown: _Shown) -> Table:
    rows: list[list[Cell]] = []
    for month in months:
        started = sum(
            n for (m, mo, _r, _p), n in sums.by_month.items() if m == "started" and mo == month
        )
        submitted = {
            (r, p): n
            for (m, mo, r, p), n in sums.by_month.items()
            if m == "submitted" and mo == month
        }
        total = sum(submitted.values())
        community = sum(n for (r, _p), n in submitted.items() if r == Route.COMMUNITY.value)
        rows.append(
            [month, shown.count(started), shown.count(total), shown.share(community, total)]
        )
    return Table(
        "activity",
        "Assessments started and submitted, by month",
        ["Month", "Started", "Submitted", "Community route (% of submitted)"],
        rows,
        "The community route's share is the Communities First aim of meeting needs in the "
        "community.",
    )


def _by_month(sums: Sums, months: list[str], shown: _Shown, kind: str) -> Table:
    if kind == "route":
        values: list[tuple[str, str]] = [(r.value, r.label) for r in Route]
        pick = 2
    else:
        values = [(p.value, p.label) for p in Priority]
        pick = 3
    rows: list[list[Cell]] = []
    for month in months:
        row: list[Cell] = [month]
        for value, _label in values:
            row.append(
                shown.count(
                    sum(
                        n
                        for key, n in sums.by_month.items()
                        if key[0] == "submitted" and key[1] == month and key[pick] == value
                    )
                )
            )
        rows.append(row)
    noun = "route" if kind == "route" else "priority"
    return Table(
        f"{noun}s" if kind == "route" else "priorities",
        f"Assessments submitted by {noun}, by month",
        ["Month", *(label for _value, label in values)],
        rows,
    )


def _referrals(
    sums: Sums,
    waiting: Mapping[tuple[int, int], int],
    names: Mapping[int, str],
    services: Iterable[Service],
    shown: _Shown,
) -> Table:
    rows: list[list[Cell]] = []
    for service in services:
        counts = [
            sums.by_service[(measure, service.organisation_id, service.id)]
            for measure in ("referred", "accepted", "declined", "completed")
        ]
        pending = waiting.get((service.organisation_id, service.id), 0)
        if not any(counts) and not pending:
            continue
        rows.append(
            [
                service.name,
                names.get(service.organisation_id, ""),
                *(shown.count(n) for n in counts),
                shown.count(pending),
            ]
        )
    return Table(
        "referrals",
        "Referrals by service",
        ["Service", "Organisation", "Made", "Accepted", "Declined", "Completed", "Waiting now"],
        rows,
        "Made, accepted, declined and completed in the period; waiting now: not yet accepted "
        "or declined, whenever made.",
    )


def _times(sums: Sums, shown: _Shown) -> Table:
    rows: list[list[Cell]] = []
    for measure, label in (
        ("submitted", "From starting an assessment to submitting it"),
        ("accepted", "From referral to acceptance"),
        ("support_started", "From assessment to support starting"),
    ):
        histogram = sums.histograms.get(measure, Counter())
        rows.append(
            [
                label,
                shown.count(sum(histogram.values())),
                shown.days(histogram, 0.5),
                shown.days(histogram, 0.9),
            ]
        )
    return Table(
        "times",
        "Times, in days",
        ["What", "Number", "Median (days)", "90th percentile (days)"],
        rows,
        "Percentiles come from daily histograms of whole days (nearest rank).",
    )


def _standard(sums: Sums, overdue: int, shown: _Shown) -> Table:
    met = sum(n for (m, _o, _s), n in sums.by_service.items() if m == "standard_met")
    late = sum(n for (m, _o, _s), n in sums.by_service.items() if m == "standard_late")
    return Table(
        "standard",
        "Personal care at critical or substantial priority: started within 6 weeks",
        ["Started in time", "Started late", "Not started and overdue now", "Share in time (%)"],
        [
            [
                shown.count(met),
                shown.count(late),
                shown.count(overdue),
                shown.share(met, met + late + overdue),
            ]
        ],
        "The national standard: support starts within 6 weeks of the assessment (sooner for "
        "same-day and urgent referrals). Support started in the period, and what is overdue now.",
    )


def _reviews(rows: list[tuple[str, int, int]], shown: _Shown) -> Table:
    return Table(
        "reviews",
        "Reviews of support due now",
        ["Organisation", "Due", "Of which overdue"],
        [[name, shown.count(due), shown.count(late)] for name, due, late in rows],
    )


# --------------------------------------------------------------------------- the service


def scope_of(actor: Actor) -> policy.OutputsScope:
    """Which figures the actor may see; AccessDenied for none."""
    scope = policy.outputs_scope(actor_facts(actor))
    if scope is policy.OutputsScope.NONE:
        raise AccessDenied("Your role does not show outputs and outcomes.")
    return scope


def _scoped(
    session: DbSession, actor: Actor, scope: policy.OutputsScope, filters: Filters
) -> tuple[Filters, list[Organisation], list[Service]]:
    """The filters as ``actor`` may ask them (an organisation's own view is held to it), with
    the organisations and services to choose from; a filter naming another is refused."""
    if scope is policy.OutputsScope.ORGANISATION:
        if filters.organisation_id not in (None, actor.organisation_id):
            raise ReportError(
                errors={"organisation": "You can see only your own organisation's figures"}
            )
        filters = Filters(
            filters.first,
            filters.last,
            actor.organisation_id,
            filters.service_id,
            filters.route,
            filters.priority,
            filters.district,
        )
    organisations = list(session.scalars(select(Organisation).order_by(Organisation.name)))
    names = {o.id: o.name for o in organisations}
    if filters.organisation_id is not None and filters.organisation_id not in names:
        raise ReportError(errors={"organisation": "Choose an organisation from the list"})
    services_stmt = select(Service).order_by(Service.name)
    if filters.organisation_id is not None:
        services_stmt = services_stmt.where(Service.organisation_id == filters.organisation_id)
    services = list(session.scalars(services_stmt))
    if filters.service_id is not None and filters.service_id not in {s.id for s in services}:
        raise ReportError(errors={"service": "Choose a service from the list"})
    return filters, organisations, services


def outputs(
    session: DbSession,
    actor: Actor,
    filters: Filters,
    today: date,
    *,
    suppress_below: int = 5,
) -> Outputs:
    """The figures ``actor`` may see for ``filters``, audited as one ``reports.outputs``
    event. Counts only: the people overdue are ``overdue_people``'s, on a page of their own."""
    scope = scope_of(actor)
    filters, organisations, services = _scoped(session, actor, scope, filters)
    names = {o.id: o.name for o in organisations}
    below = suppress_below if scope is policy.OutputsScope.PARTNERSHIP else 0
    shown = _Shown(below)
    sums, folded = sum_facts(session, filters, today)
    months = _months(filters.first, filters.last)
    waiting, overdue, as_of = now_counts(session, filters, today)
    review_rows = _review_counts(session, filters, organisations, today)
    found = Outputs(
        filters,
        scope,
        organisations,
        services,
        suppress_below=below,
        folded_to=folded,
        now_as_of=as_of,
    )
    for table in (
        _activity(sums, months, shown),
        _by_month(sums, months, shown, "route"),
        _by_month(sums, months, shown, "priority"),
        _referrals(sums, waiting, names, services, shown),
        _times(sums, shown),
        _standard(sums, overdue, shown),
        _reviews(review_rows, shown),
    ):
        found.tables[table.key] = table
    found.overdue = overdue
    found.lists_people = policy.may_see_breaches_by_person(actor_facts(actor))
    record_event(
        session,
        actor,
        "reports.outputs",
        record_type="report",
        record_id="outputs",
        detail={"scope": scope.value, **filters.query()},
    )
    return found


def _waiting(session: DbSession, filters: Filters) -> dict[tuple[int, int], int]:
    """Referrals not yet accepted or declined, by (organisation, service): the open queue's
    index holds them."""
    stmt = (
        select(Referral.organisation_id, Referral.service_id, func.count())
        .where(Referral.status == ReferralStatus.PENDING)
        .group_by(Referral.organisation_id, Referral.service_id)
    )
    stmt = _narrowed(
        stmt, filters, Referral.organisation_id, Referral.service_id, Referral.priority
    )
    return {(org, service): int(n) for org, service, n in session.execute(stmt)}


_Row = TypeVarTuple("_Row")


def _narrowed(
    stmt: Select[*_Row],
    filters: Filters,
    organisation: QueryableAttribute[Any],
    service: QueryableAttribute[Any],
    priority: QueryableAttribute[Any],
) -> Select[*_Row]:
    """``stmt`` narrowed to the filters' organisation, service and priority, on these columns."""
    if filters.organisation_id is not None:
        stmt = stmt.where(organisation == filters.organisation_id)
    if filters.service_id is not None:
        stmt = stmt.where(service == filters.service_id)
    if filters.priority:
        stmt = stmt.where(priority == filters.priority)
    return stmt


#: The most overdue people a team manager's list shows (the count covers all of them).
MOST_LISTED = 100


def _overdue(filters: Filters, today: date) -> Select[Any]:
    """Referrals whose support is overdue under the 6-week standard now and has not started
    (``assessments.clock.support_clock``'s rule, as a query: personal care, critical or
    substantial, not declined, no support recorded, and assessed more than the urgency's
    allowed days before today), within the filters."""
    late = [
        and_(
            Referral.urgency == urgency,
            Assessment.submitted_at < uk_bounds(today - timedelta(days=days), today)[0],
        )
        for urgency, days in ALLOWED_DAYS.items()
    ]
    stmt = (
        select(Referral)
        .join(Service, Referral.service_id == Service.id)
        .join(Assessment, Referral.assessment_id == Assessment.id)
        .where(
            Service.personal_care.is_(True),
            Referral.priority.in_([p for p in Priority if p.is_high]),
            Referral.status != ReferralStatus.DECLINED,
            ~exists().where(SupportPlan.referral_id == Referral.id),
            or_(*late),
        )
    )
    stmt = _narrowed(
        stmt, filters, Referral.organisation_id, Referral.service_id, Referral.priority
    )
    if filters.district:
        outward = func.upper(func.replace(Client.postcode, " ", ""))
        stmt = stmt.join(Client, Referral.client_id == Client.id).where(
            func.length(outward) >= 5,
            func.substr(outward, 1, func.length(outward) - 3) == filters.district,
        )
    return stmt


def _overdue_count(session: DbSession, filters: Filters, today: date) -> int:
    stmt = _overdue(filters, today).with_only_columns(func.count(Referral.id))
    return int(session.scalar(stmt) or 0)


def _most_overdue(session: DbSession, filters: Filters, today: date) -> list[Referral]:
    stmt = (
        _overdue(filters, today)
        .options(
            joinedload(Referral.client),
            joinedload(Referral.service),
            # The clock needs when it was submitted, not its answers.
            joinedload(Referral.assessment).load_only(
                Assessment.submitted_at, Assessment.organisation_id
            ),
        )
        .order_by(Assessment.submitted_at, Referral.id)
        .limit(MOST_LISTED)
    )
    return list(session.scalars(stmt))


@dataclass
class Overdue:
    """The team manager's list of the people whose support is overdue now (``overdue_people``)."""

    filters: Filters
    services: list[Service]
    #: How many referrals are overdue (the list shows at most MOST_LISTED of them).
    count: int
    #: The most overdue, as far as their sharing views let the actor's organisation know them.
    people: list[Breach]


def overdue_people(session: DbSession, actor: Actor, filters: Filters, today: date) -> Overdue:
    """The most overdue referrals' people under the 6-week standard, for a team manager only
    (``policy.may_see_breaches_by_person``), each as far as their sharing views allow
    (``records.access.listed``); audited as one ``reports.breaches`` event linked to each
    person shown."""
    if not policy.may_see_breaches_by_person(actor_facts(actor)):
        raise AccessDenied("Only a team manager sees the people whose support is overdue.")
    filters, _organisations, services = _scoped(
        session, actor, policy.OutputsScope.ORGANISATION, filters
    )
    found = []
    for referral in _most_overdue(session, filters, today):
        clock = support_clock(referral, None, today)
        if clock is not None:
            found.append((referral, clock))
    allowed = {
        entry.client.id
        for entry in listed(
            session,
            actor,
            [referral.client for referral, _clock in found],
            "reports.breaches",
            detail={"day": today.isoformat(), **filters.query()},
        )
    }
    people = [
        Breach(
            str(referral.client_id),
            referral.client.display_name,
            referral.service.name,
            clock.assessed_on,
            clock.due_on,
            clock.started_on,
            clock.words,
        )
        for referral, clock in found
        if referral.client_id in allowed
    ]
    # How many, as the figures page counted them (the runner's count of now while fresh: at
    # half a million referrals counting them again costs more than listing the first 100).
    _waiting_now, count, _as_of = now_counts(session, filters, today)
    return Overdue(filters, services, max(count, len(found)), people)


def _review_counts(
    session: DbSession, filters: Filters, organisations: list[Organisation], today: date
) -> list[tuple[str, int, int]]:
    rows = []
    for organisation in organisations:
        if filters.organisation_id not in (None, organisation.id):
            continue
        due = reviews_due(session, organisation.id, today, service_id=filters.service_id)
        overdue = sum(1 for review in due if review.overdue_on(today))
        rows.append((organisation.name, len(due), overdue))
    return rows


def long_table(found: Outputs) -> tuple[list[str], list[list[Cell]]]:
    """Every table as one long CSV: table, row label, column, value."""
    rows: list[list[Cell]] = []
    for table in found.tables.values():
        for row in table.rows:
            for column, value in zip(table.columns[1:], row[1:], strict=True):
                rows.append([table.key, row[0], column, value])
    return ["table", "row", "column", "value"], rows


def by_slugs(session: DbSession, args: Mapping[str, str]) -> dict[str, str]:
    """The API's query (organisation and service by slug) as the page's (by id); a slug that
    names nothing is a ReportError on its parameter."""
    found = {k: v for k, v in args.items() if k not in ("organisation", "service")}
    if args.get("organisation"):
        org_id = session.scalar(
            select(Organisation.id).where(Organisation.slug == args["organisation"])
        )
        if org_id is None:
            raise ReportError(errors={"organisation": "There is no organisation with this slug"})
        found["organisation"] = str(org_id)
    if args.get("service"):
        stmt = select(Service.id).where(Service.slug == args["service"])
        if "organisation" in found:
            stmt = stmt.where(Service.organisation_id == int(found["organisation"]))
        service_id = session.scalars(stmt).first()
        if service_id is None:
            raise ReportError(errors={"service": "There is no service with this slug"})
        found["service"] = str(service_id)
    return found


# --------------------------------------------------------------------------- the "now" counts

#: The runner's counts are used while they are younger than this; older, the page counts.
SNAPSHOT_FRESH = timedelta(hours=2)


def _district_of_client() -> ColumnElement[str]:
    """:func:`facts.postcode_district` as SQL."""
    outward = func.upper(func.replace(Client.postcode, " ", ""))
    return case(
        (func.length(outward) >= 5, func.substr(outward, 1, func.length(outward) - 3)),
        else_="",
    )


def take_snapshot(session: DbSession, now: datetime, today: date) -> int:
    """Count what is waiting and overdue now, by organisation, service, priority and district,
    as one new set of rows; delete sets older than a day. The caller commits."""
    district = _district_of_client().label("district")
    waiting = (
        select(
            Referral.organisation_id, Referral.service_id, Referral.priority, district, func.count()
        )
        .join(Client, Referral.client_id == Client.id)
        .where(Referral.status == ReferralStatus.PENDING)
        .group_by(Referral.organisation_id, Referral.service_id, Referral.priority, district)
    )
    overdue = (
        _overdue(Filters(today, today), today)
        .join(Client, Referral.client_id == Client.id)
        .with_only_columns(
            Referral.organisation_id,
            Referral.service_id,
            Referral.priority,
            district,
            func.count(Referral.id),
        )
        .group_by(Referral.organisation_id, Referral.service_id, Referral.priority, district)
    )
    rows = [
        NowSnapshot(
            taken_at=now,
            measure=measure,
            organisation_id=org,
            service_id=service,
            priority=priority.value,
            district=(place or "")[:4],
            count=int(n),
        )
        for measure, stmt in (("waiting", waiting), ("overdue", overdue))
        for org, service, priority, place, n in session.execute(stmt)
    ]
    session.add_all(rows)
    session.execute(delete(NowSnapshot).where(NowSnapshot.taken_at < now - timedelta(days=1)))
    return len(rows)


def now_counts(
    session: DbSession, filters: Filters, today: date
) -> tuple[dict[tuple[int, int], int], int, datetime | None]:
    """Referrals waiting now by (organisation, service), support overdue now, and when they
    were counted: from the runner's newest snapshot while fresh, otherwise counted now."""
    taken: datetime | None = session.scalar(select(func.max(NowSnapshot.taken_at)))
    if taken is None or utcnow() - taken > SNAPSHOT_FRESH:
        return _waiting(session, filters), _overdue_count(session, filters, today), None
    stmt = select(
        NowSnapshot.measure,
        NowSnapshot.organisation_id,
        NowSnapshot.service_id,
        NowSnapshot.district,
        func.sum(NowSnapshot.count),
    ).where(NowSnapshot.taken_at == taken)
    stmt = _narrowed(
        stmt, filters, NowSnapshot.organisation_id, NowSnapshot.service_id, NowSnapshot.priority
    )
    stmt = stmt.group_by(
        NowSnapshot.measure,
        NowSnapshot.organisation_id,
        NowSnapshot.service_id,
        NowSnapshot.district,
    )
    waiting: Counter[tuple[int, int]] = Counter()
    overdue = 0
    for measure, org, service, place, n in session.execute(stmt):
        if measure == "waiting":  # as counted now (_waiting): whatever the district
            waiting[(org, service)] += int(n)
        elif not filters.district or place == filters.district:
            overdue += int(n)
    return dict(waiting), overdue, taken
