"""The person-level quarterly return (issue 23, point 3): its rows for the demo people, the
person's sharing views, the audit trail, formula escaping, who may export it, and its page and
command (the API's door is tests/api/test_return_api.py; the browser, tests/browser/)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from assessment_engine.assessments.clock import uk_today
from assessment_engine.auth.models import User
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import client_events
from assessment_engine.partners.models import Service
from assessment_engine.records.access import AccessDenied
from assessment_engine.records.models import Client
from assessment_engine.records.sharing import break_glass, record_sharing_view
from assessment_engine.reports.csv import escape_cell, rows_text
from assessment_engine.reports.quarterly import (
    COLUMNS,
    EXPORTED,
    Quarter,
    ReturnError,
    quarterly_return,
    recent_quarters,
)

COUNCIL, NHS = "perth-kinross-council", "nhs-tayside"
HOME_CARE = "Home care"


def _analyst(demo: dict[str, User]) -> Actor:
    return Actor.for_user(demo["kirsty.lamb@pkc.example"])


def _person(db_session: Any, family_name: str) -> Client:
    found = db_session.scalar(select(Client).where(Client.family_name == family_name))
    assert found is not None
    return found


def _by_chi(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["chi"], []).append(row)
    return found


def test_the_councils_return_has_a_row_for_each_demo_person_and_support(
    db_session: Any, demo: dict[str, User]
) -> None:
    made = quarterly_return(db_session, _analyst(demo), Quarter.of(uk_today()))
    rows = _by_chi(made.rows)
    chi = {
        name: _person(db_session, name).chi
        for name in (
            "MacDonald",
            "McDonald",
            "Henderson",
            "Robertson",
            "Campbell-Lamont",
            "O'Brien",
            "Kowalczyk",
            "Fraser",
            "Wilson",
        )
    }
    # The council assessed Jean, Morag, Anne-Marie, Iain and Fiona (demo.ASSESSMENTS) and
    # supports all but Jean; the others were assessed by NHS Tayside or Community Link only.
    assert set(rows) == {
        chi[n] for n in ("MacDonald", "McDonald", "Henderson", "Robertson", "Campbell-Lamont")
    }
    assert made.people == 5 and made.withheld == 0 and len(made.rows) == 5
    assert all(list(row) == list(COLUMNS) for row in made.rows)
    today = uk_today().isoformat()
    (jean,) = rows[chi["MacDonald"]]
    assert jean["assessed_on"] == today and jean["assessed_by"] == COUNCIL
    assert (jean["route"], jean["priority"]) == ("social_care", "substantial")
    assert jean["services_referred"] == "Community link worker; Home care"
    assert jean["support_plan_id"] is None and jean["support_service"] is None
    for name in ("McDonald", "Henderson", "Robertson"):
        (row,) = rows[chi[name]]
        assert row["support_service"] == HOME_CARE and row["support_started_on"] == today
        assert (row["hours_per_week"], row["sds_option"], row["weekly_cost"]) == (
            "10.5",
            "3",
            "233.10",
        )
        assert row["support_status"] == "active" and row["reviews_completed"] == "0"
        assert row["next_review_due"] is not None and row["last_review_outcome"] is None
    # Fiona's support was reduced at a review, with her agreement: the terms at the quarter's
    # end are the reduced ones; the review assessment is her latest assessment.
    (fiona,) = rows[chi["Campbell-Lamont"]]
    assert (fiona["hours_per_week"], fiona["weekly_cost"]) == ("7", "155.40")
    assert fiona["reviews_completed"] == "1" and fiona["last_review_outcome"] == "reduce"
    assert fiona["last_reviewed_on"] == today
    # No names, addresses or answers: the CHI number is the key.
    text = rows_text(COLUMNS, made.rows)
    assert "MacDonald" not in text and "PH1 5PH" not in text
    # Another partner's return has its own people: NHS Tayside assessed Seán and Ruaridh.
    nhs = quarterly_return(
        db_session,
        Actor.command_line(demo["priya.shah@tayside.example"].organisation_id),
        Quarter.of(uk_today()),
    )
    assert {row["chi"] for row in nhs.rows} == {chi["O'Brien"], chi["Fraser"]}


def test_an_earlier_quarter_has_nobody_and_support_continues_into_later_ones(
    db_session: Any, demo: dict[str, User]
) -> None:
    this = Quarter.of(uk_today())
    assert quarterly_return(db_session, _analyst(demo), this.previous()).rows == []


def test_a_person_who_declined_sharing_is_left_out_and_not_audited(
    db_session: Any, demo: dict[str, User]
) -> None:
    morag, jean = _person(db_session, "McDonald"), _person(db_session, "MacDonald")
    nhs_assessor = Actor.for_user(demo["priya.shah@tayside.example"])
    council = demo["sam.reid@pkc.example"].organisation_id
    for person, status in ((morag, "declined"), (jean, "agreed")):
        record_sharing_view(
            db_session,
            nhs_assessor,
            person,
            status=status,
            stated_on=date.today(),
            partner_ids=[council],
        )
    # A view that agreed keeps Jean in; Morag's declined. Emergency access is for one person's
    # care, never a bulk export.
    break_glass(db_session, _analyst(demo), morag, "Checking the return against the plan")
    made = quarterly_return(db_session, _analyst(demo), Quarter.of(uk_today()))
    chis = {row["chi"] for row in made.rows}
    assert morag.chi not in chis and jean.chi in chis
    assert made.people == 4 and made.withheld == 1
    from assessment_engine.kernel.audit import linked_digest, write_pending

    write_pending(db_session)
    seen = lambda person: [e for e in client_events(db_session, person.id) if e.action == EXPORTED]  # noqa: E731
    assert seen(morag) == []
    (event,) = seen(jean)
    assert event.user_id == demo["kirsty.lamb@pkc.example"].id
    assert event.detail == {
        "quarter": Quarter.of(uk_today()).label,
        "rows": 4,
        "people": 4,
        "withheld": 1,
        # the digest of the people the event is linked to, under the chain's hash
        "linked": linked_digest(e.client_id for e in event.linked_clients),
    }


def test_every_exported_person_is_on_their_records_who_has_seen_it(
    db_session: Any, demo: dict[str, User], client: Any, factories: Any
) -> None:
    from assessment_engine.kernel.audit import write_pending

    quarterly_return(db_session, _analyst(demo), Quarter.of(uk_today()))
    write_pending(db_session)
    for name in ("MacDonald", "McDonald", "Henderson", "Robertson", "Campbell-Lamont"):
        events = list(client_events(db_session, _person(db_session, name).id))
        assert EXPORTED in [e.action for e in events], name
    # People the council neither assessed nor supports are not.
    events = client_events(db_session, _person(db_session, "Fraser").id)
    assert EXPORTED not in [e.action for e in events]
    # The council's team manager reads it on the person's "who has seen this record".
    manager = demo["morag.stewart@pkc.example"]
    from tests.conftest import sign_in_with_code

    factories.enrol(manager)
    sign_in_with_code(client, factories, manager, password="shared-assessment-demo")
    page = client.get(f"/people/{_person(db_session, 'MacDonald').id}/seen-by")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Exported in the quarterly return" in text and "Kirsty Lamb" in text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 1738", "'+44 1738"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Home care", "Home care"),
        ("a=b", "a=b"),
        (None, ""),
        (7, 7),  # numbers stay numbers
    ],
)
def test_a_cell_that_would_run_as_a_formula_is_escaped(value: Any, cell: str) -> None:
    assert escape_cell(value) == cell


def test_a_service_named_like_a_formula_is_text_in_the_csv(
    db_session: Any, demo: dict[str, User]
) -> None:
    home_care = db_session.scalar(select(Service).where(Service.slug == "home-care"))
    home_care.name = "=cmd|' /C calc'!A0"
    db_session.flush()
    made = quarterly_return(db_session, _analyst(demo), Quarter.of(uk_today()))
    cells = list(csv.DictReader(io.StringIO(rows_text(COLUMNS, made.rows))))
    services = {row["support_service"] for row in cells if row["support_service"]}
    assert services == {"'=cmd|' /C calc'!A0"}
    assert all(not row["services_referred"].startswith("=") for row in cells)


@pytest.mark.parametrize("role", ["assessor", "team_manager", "administrator"])
def test_only_a_performance_analyst_may_export_it(
    db_session: Any, factories: Any, role: str
) -> None:
    with pytest.raises(AccessDenied):
        quarterly_return(db_session, Actor.for_user(factories.user(role)), Quarter(2026, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "like 2026-Q3"),
        ("2026-Q5", "like 2026-Q3"),
        ("Q3 2026", "like 2026-Q3"),
        ("2026-Q3; drop", "like 2026-Q3"),
        ("1999-Q4", "from 2000"),
        ("2999-Q1", "has not started"),
    ],
)
def test_a_bad_quarter_is_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(ReturnError) as refused:
        Quarter.parse(text, date(2026, 12, 1))
    assert message in refused.value.errors["quarter"]


def test_quarters_are_calendar_quarters() -> None:
    assert Quarter.parse("2026q3", date(2026, 12, 1)) == Quarter(2026, 3)
    assert Quarter.parse("2027Q1", date(2027, 1, 1)).first == date(2027, 1, 1)
    q4 = Quarter(2026, 4)
    assert (q4.first, q4.last, q4.words) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
        "October to December 2026",
    )
    assert Quarter(2026, 1).last == date(2026, 3, 31) and Quarter(2026, 1).previous() == Quarter(
        2025, 4
    )
    assert [q.label for q in recent_quarters(date(2026, 2, 1), 3)] == [
        "2026-Q1",
        "2025-Q4",
        "2025-Q3",
    ]
    assert Quarter.of(date(2026, 9, 30)) == Quarter(2026, 3)
    assert Quarter(2026, 3).last + timedelta(days=1) == Quarter(2026, 4).first


def test_the_analyst_downloads_the_csv_from_the_page(
    client: Any, db_session: Any, demo: dict[str, User], factories: Any
) -> None:
    from tests.conftest import sign_in_with_code

    analyst = demo["kirsty.lamb@pkc.example"]
    factories.enrol(analyst)
    sign_in_with_code(client, factories, analyst, password="shared-assessment-demo")
    page = client.get("/reports/return")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    this = Quarter.of(uk_today())
    assert f'<option value="{this.label}">' in text
    assert text.count('href="/reports/return"') == 1  # the menu's link (the form posts there)
    download = client.post_form("/reports/return", {"quarter": this.label})
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="return-{this.label}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 5 and list(rows[0]) == list(COLUMNS)
    # A quarter changed in the form: the message on the field, nothing exported.
    refused = client.post_form("/reports/return", {"quarter": "2999-Q1"})
    assert refused.status_code == 422
    assert "has not started yet" in refused.get_data(as_text=True)
    assert 'id="quarter-error"' in refused.get_data(as_text=True)


@pytest.mark.parametrize("role", ["assessor", "team_manager", "administrator"])
def test_the_page_is_refused_to_other_roles(login_as: Any, client: Any, role: str) -> None:
    login_as(role)
    assert client.get("/reports/return").status_code == 403
    assert client.post_form("/reports/return", {"quarter": "2026-Q1"}).status_code == 403


def test_the_command_prints_an_organisations_return(
    app: Any, db_session: Any, demo: dict[str, User]
) -> None:
    this = Quarter.of(uk_today())
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["reports", "return", "--quarter", this.label, "--organisation", COUNCIL]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5 and {row["assessed_by"] for row in rows} == {COUNCIL}
    assert "5 people, 5 rows; 0 left out" in result.stderr
    bad = runner.invoke(
        args=["reports", "return", "--quarter", "2026-13", "--organisation", COUNCIL]
    )
    assert bad.exit_code != 0 and "like 2026-Q3" in bad.output
    unknown = runner.invoke(
        args=["reports", "return", "--quarter", this.label, "--organisation", "x"]
    )
    assert unknown.exit_code != 0 and "no organisation" in unknown.output


def test_the_analysts_dashboard_names_nobody(
    client: Any, db_session: Any, demo: dict[str, User], factories: Any
) -> None:
    """The analyst opens no one's record: the dashboard's recent records are not shown, and a
    search finds nobody (the policy gives the role no level of any record)."""
    from tests.conftest import sign_in_with_code

    analyst = demo["kirsty.lamb@pkc.example"]
    factories.enrol(analyst)
    sign_in_with_code(client, factories, analyst, password="shared-assessment-demo")
    anne = _person(db_session, "Henderson")
    for url in ("/", f"/people?q={anne.chi}", f"/people/{anne.id}"):
        response = client.get(url)
        assert "Henderson" not in response.get_data(as_text=True), url
    assert client.get(f"/people/{anne.id}").status_code == 404
    # A team manager of the same council still sees them.
    manager = demo["morag.stewart@pkc.example"]
    factories.enrol(manager)
    client.post_form("/sign-out")
    sign_in_with_code(client, factories, manager, password="shared-assessment-demo")
    assert "Henderson" in client.get("/").get_data(as_text=True)


def test_the_analyst_is_refused_every_page_about_a_person(
    client: Any, db_session: Any, demo: dict[str, User], factories: Any
) -> None:
    """One rule, every door: the role that exports the return opens nobody's record, not even
    one its own organisation assessed and supports (403 where the role may never, 404 where the
    policy refuses the record), and the refusal names nobody."""
    from assessment_engine.assessments.models import Assessment, Referral
    from assessment_engine.support.models import Review, SupportPlan
    from tests.conftest import sign_in_with_code

    morag = _person(db_session, "McDonald")
    assessment = db_session.scalar(select(Assessment).where(Assessment.client_id == morag.id))
    referral = db_session.scalar(select(Referral).where(Referral.client_id == morag.id))
    plan = db_session.scalar(select(SupportPlan).where(SupportPlan.client_id == morag.id))
    review = db_session.scalar(select(Review).where(Review.client_id == morag.id))
    analyst = demo["kirsty.lamb@pkc.example"]
    factories.enrol(analyst)
    sign_in_with_code(client, factories, analyst, password="shared-assessment-demo")
    urls = [
        f"/people/{morag.id}",
        f"/people/{morag.id}/edit",
        f"/people/{morag.id}/timeline",
        f"/people/{morag.id}/sharing",
        f"/people/{morag.id}/seen-by",
        f"/people/{morag.id}/break-glass",
        f"/assessments/{assessment.id}",
        f"/assessments/{assessment.id}/check",
        f"/assessments/{assessment.id}/answers",
        f"/assessments/{assessment.id}/outcome",
        f"/assessments/{assessment.id}/print",
        f"/assessments/{assessment.id}/print.pdf",
        f"/assessments/{assessment.id}/changes",
        f"/assessments/{assessment.id}/review",
        f"/assessments/{assessment.id}/review-notes",
        f"/assessments/{assessment.id}/sign-off",
        f"/assessments/{assessment.id}/discard",
        f"/referrals/{referral.id}/support",
        f"/referrals/{referral.id}",
        f"/support-plans/{plan.id}",
        f"/reviews/{review.id}",
        "/referrals",
        "/reviews",
        "/people/new",
        f"/people?q={morag.family_name}",
        f"/people?q={morag.chi}",
    ]
    answered = {url: client.get(url) for url in urls}
    wrong = {url: r.status_code for url, r in answered.items() if r.status_code not in (403, 404)}
    assert wrong == {}
    leaked = [url for url, r in answered.items() if morag.family_name in r.get_data(as_text=True)]
    assert leaked == []


def test_no_statement_binds_a_parameter_per_support(db_session: Any, demo: dict[str, User]) -> None:
    """A statement may bind 65,535 parameters on PostgreSQL, 32,766 on SQLite: the return of a
    national partner's quarter has more supports than that, so the assessments they were arranged
    from are selected by a subquery, not by a list of their ids (which failed the export)."""
    from sqlalchemy import event

    from assessment_engine.support.models import SupportPlan

    plans = db_session.scalars(select(SupportPlan)).all()
    arranged_from = {plan.referral.assessment_id for plan in plans}
    assert arranged_from
    bound: set[str] = set()

    def note(_conn: Any, _cursor: Any, _statement: str, parameters: Any, *_rest: Any) -> None:
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        for value in values:
            bound.update({str(value), getattr(value, "hex", str(value))})

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        made = quarterly_return(db_session, _analyst(demo), Quarter.of(uk_today()))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert any(row["support_plan_id"] for row in made.rows)
    assert not {str(key) for key in arranged_from} & bound
    assert not {key.hex for key in arranged_from} & bound
