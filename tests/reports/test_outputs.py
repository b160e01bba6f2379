"""The outputs and outcomes figures: the same from the folded daily facts as from the records,
a recount that catches facts that differ, who sees what (team managers their organisation,
partnership leads every partner's counts with small numbers suppressed, no one else), and the
6-week breaches listed by person only to a team manager, as far as sharing allows, audited."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from assessment_engine.assessments.clock import uk_today
from assessment_engine.db import utcnow
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.models import AuditEvent
from assessment_engine.records.access import AccessDenied
from assessment_engine.records.sharing import record_sharing_view
from assessment_engine.reports import facts
from assessment_engine.reports.models import DailyFact, FoldedDay
from assessment_engine.reports.outputs import (
    Filters,
    ReportError,
    _most_overdue,
    outputs,
    overdue_people,
    parse_filters,
    percentile,
    take_snapshot,
)
from assessment_engine.support.services import six_week_breaches

COUNCIL = "perth-kinross-council"


def _period(today: date) -> Filters:
    return Filters(today.replace(day=1), today)


def _cells(found: Any, key: str) -> dict[str, list[Any]]:
    table = found.table(key)
    return {str(row[0]): row[1:] for row in table.rows}


def test_facts_folded_give_the_figures_the_records_gave(
    db_session: Any, world: dict[str, Any]
) -> None:
    manager, today = Actor.for_user(world["manager"]), uk_today()
    before = outputs(db_session, manager, _period(today), today)
    month = today.isoformat()[:7]
    assert _cells(before, "activity")[month][:2] == [2, 2]
    assert _cells(before, "referrals")["Home care"][1:3] == [2, 1]
    assert before.folded_to is None
    # The runner folds every finished day; "tomorrow" makes today a finished day.
    folded = facts.fold_due(db_session, today + timedelta(days=1))
    assert folded[-1] == today
    assert db_session.scalar(select(func.count()).select_from(DailyFact)) > 0
    after = outputs(db_session, manager, _period(today), today)
    assert after.folded_to == today
    assert {k: t.rows for k, t in after.tables.items()} == {
        k: t.rows for k, t in before.tables.items()
    }
    assert facts.check(db_session).ok
    # A day is folded once: the next run has nothing to do.
    assert facts.fold_due(db_session, today + timedelta(days=1)) == []


def test_the_recount_finds_facts_that_differ(db_session: Any, world: dict[str, Any]) -> None:
    today = uk_today()
    facts.fold_due(db_session, today + timedelta(days=1))
    fact = db_session.scalars(select(DailyFact).where(DailyFact.measure == "submitted")).first()
    db_session.add(
        DailyFact(
            day=fact.day,
            measure="submitted",
            organisation_id=fact.organisation_id,
            route=fact.route,
            priority=fact.priority,
            district=fact.district,
            days=fact.days,
            count=1,
        )
    )
    db_session.flush()
    result = facts.check(db_session)
    assert not result.ok
    assert result.differing == [today]
    assert "differ from a recount" in str(result)


def test_filters_narrow_the_figures(db_session: Any, world: dict[str, Any]) -> None:
    manager, today = Actor.for_user(world["manager"]), uk_today()
    month = today.isoformat()[:7]
    ph1 = Filters(today.replace(day=1), today, district="PH1")
    assert _cells(outputs(db_session, manager, ph1, today), "activity")[month][:2] == [1, 1]
    community = Filters(today.replace(day=1), today, route="community")
    assert _cells(outputs(db_session, manager, community, today), "activity")[month][1] == 0
    earlier = Filters(today - timedelta(days=400), today - timedelta(days=370))
    assert all(
        row[1:3] == [0, 0]
        for row in outputs(db_session, manager, earlier, today).table("activity").rows
    )


def test_bad_filters_are_refused_on_their_fields() -> None:
    today = date(2026, 12, 1)
    with pytest.raises(ReportError) as refused:
        parse_filters(
            {"from": "2026-13-01", "route": "x", "priority": "high", "locality": "=1+1"}, today
        )
    assert set(refused.value.errors) == {"from", "route", "priority", "locality"}
    with pytest.raises(ReportError) as refused:
        parse_filters({"from": "2026-12-02", "to": "2026-12-01"}, today)
    assert "on or before" in refused.value.errors["from"]
    assert parse_filters({"locality": "ph1"}, today).district == "PH1"
    assert parse_filters({}, today).first == today - timedelta(days=364)


def test_percentiles_come_from_histograms() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({0: 1, 3: 1, 10: 1}, 0.5) == 3
    assert percentile({1: 9, 30: 1}, 0.9) == 1
    assert percentile({1: 8, 30: 2}, 0.9) == 30


def test_who_sees_which_figures(db_session: Any, factories: Any, world: dict[str, Any]) -> None:
    today = uk_today()
    for role in ("assessor", "administrator"):
        someone = Actor.for_user(factories.user(role, COUNCIL))
        with pytest.raises(AccessDenied):
            outputs(db_session, someone, _period(today), today)
    # A team manager sees only their own organisation's.
    tayside = factories.user("team_manager", "nhs-tayside")
    council_id = world["manager"].organisation_id
    asked = Filters(today.replace(day=1), today, organisation_id=council_id)
    with pytest.raises(ReportError) as refused:
        outputs(db_session, Actor.for_user(tayside), asked, today)
    assert "own organisation" in refused.value.errors["organisation"]
    # A partnership lead sees every partner's counts, small numbers suppressed, no one listed.
    lead = Actor.for_user(factories.user("partnership_lead", "nhs-tayside"))
    found = outputs(db_session, lead, _period(today), today)
    assert not found.lists_people
    with pytest.raises(AccessDenied):
        overdue_people(db_session, lead, _period(today), today)
    assert found.suppress_below == 5
    assert _cells(found, "activity")[today.isoformat()[:7]][:2] == ["<5", "<5"]
    assert _cells(outputs(db_session, lead, asked, today), "referrals")["Home care"][1] == "<5"
    text = repr({k: t.rows for k, t in found.tables.items()})
    for person in world["people"]:
        assert person.family_name not in text


def test_breaches_are_listed_by_person_only_to_the_team_manager_as_sharing_allows(
    db_session: Any, factories: Any, world: dict[str, Any]
) -> None:
    manager = Actor.for_user(world["manager"])
    # Seven weeks on, the second home-care referral has had no support: overdue.
    later = uk_today() + timedelta(days=50)
    period = Filters(uk_today().replace(day=1), later)
    found = outputs(db_session, manager, period, later)
    assert found.lists_people and found.overdue == 1
    assert found.table("standard").rows == [[1, 0, 1, 50.0]]
    factories.settle()
    # The figures name no one and link no one to their audit event.
    assert not db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "reports.breaches")
    ).all()
    waiting = world["people"][1]
    listed = overdue_people(db_session, manager, period, later)
    assert [b.name for b in listed.people] == [waiting.display_name]
    assert listed.count == 1
    # The query's rule is the clock's: the same referrals as support.services finds.
    breaches = six_week_breaches(db_session, None, later)
    rule = {r.id for r, clock in breaches if not clock.started_on}
    assert {r.id for r in _most_overdue(db_session, Filters(period.first, later), later)} == rule
    factories.settle()
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "reports.breaches")
    ).one()
    assert [link.client_id for link in event.linked_clients] == [waiting.id]
    # Once the person declines sharing with the council, they are not listed (still counted).
    record_sharing_view(
        db_session,
        Actor.for_user(factories.user("assessor", "nhs-tayside")),
        waiting,
        status="declined",
        partner_ids=[world["manager"].organisation_id],
        stated_on=uk_today(),
    )
    hidden = overdue_people(db_session, manager, period, later)
    assert hidden.people == [] and hidden.count == 1
    assert outputs(db_session, manager, period, later).table("standard").rows == [[1, 0, 1, 50.0]]
    assert (
        db_session.scalar(select(func.count()).select_from(FoldedDay)) == 0
    )  # nothing was folded: all of it counted from the records


def test_the_runners_counts_of_now_give_what_the_page_counts(
    db_session: Any, world: dict[str, Any]
) -> None:
    manager = Actor.for_user(world["manager"])
    later = uk_today() + timedelta(days=50)
    asked = [
        Filters(uk_today().replace(day=1), later),
        Filters(uk_today().replace(day=1), later, district="PH16"),
        Filters(uk_today().replace(day=1), later, district="PH1", priority="substantial"),
    ]
    counted = [outputs(db_session, manager, filters, later) for filters in asked]
    assert take_snapshot(db_session, utcnow(), later) > 0
    db_session.flush()
    for filters, before in zip(asked, counted, strict=True):
        after = outputs(db_session, manager, filters, later)
        assert before.now_as_of is None and after.now_as_of is not None
        assert {k: t.rows for k, t in after.tables.items()} == {
            k: t.rows for k, t in before.tables.items()
        }
    assert counted[1].table("standard").rows[0][2] == 1  # Iain, in PH16, is overdue
