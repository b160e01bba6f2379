"""The generated access matrix of the pages.

For every page route of the app's URL map (classified once, in tests/access_routes.py, with the
API's), and every organisation (the three demo partners) x role (assessor, team manager,
administrator) x sharing state (no view, agreed, declined, withdrawn, break-glass) x record kind
(a draft, a submitted assessment), a real request through the pages, signed in as that user:

- the status is the one the README's sharing table gives (2xx/302 where allowed, 403 where the
  role may never do it, 404 where the record's content is out of reach, exactly as for a record
  that does not exist);
- a refused response (403/404) says nothing of the person: no name, postcode, address or answer;
- a refused write changes nothing (records, assessments, decisions, referrals, sharing views and
  emergency access are the same after it);
- a 404 of the access policy on a person's record is audited as one refused attempt.

The records belong to Perth and Kinross Council: their assessments were started and submitted by
the council's assessor, their referrals are addressed to a council service. The person's sharing
views (recorded by the other partners, since a view never covers its recorder) put each
organisation in the cell's state; "break-glass" is *declined* plus the user's own unexpired
emergency access. The data are built once for the module, inside one transaction that is rolled
back at the end; each request runs in a SAVEPOINT rolled back after it, so that an allowed write
never changes what the next cell sees.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from assessment_engine.assessments.models import (
    Assessment,
    AssessmentStatus,
    Decision,
    Referral,
    ReferralStatus,
)
from assessment_engine.db import utcnow
from assessment_engine.kernel.actor import Actor
from assessment_engine.kernel.audit import REFUSED
from assessment_engine.kernel.models import AuditEvent
from assessment_engine.records.models import BreakGlassGrant, Client, SharingView
from assessment_engine.records.sharing import record_sharing_view
from assessment_engine.support.models import Review, SupportPlan

from . import conftest
from .access_routes import ADMINISTRATION, classify
from .conftest import sign_in_with_code
from .factories import Factories
from .records import builders

COUNCIL, NHS, LINK = "perth-kinross-council", "nhs-tayside", "community-link"
ORGANISATIONS = (COUNCIL, NHS, LINK)
ROLES = ("assessor", "team_manager", "administrator")
STATES = ("no_view", "agreed", "declined", "withdrawn", "break_glass")
KINDS = ("draft", "submitted")
#: What must never appear on a refused page: the person's answer, address and postcode (their
#: names are checked per person).
SECRET_ANSWER = "Quillwort-Answer"
ADDRESS, POSTCODE = "1 High Street", "PH1 5PH"
SURNAMES = iter(
    f"{a}{b}" for a, b in itertools.product(("Lennox", "Buchanan", "Drummond"), "abcdefghij")
)


@dataclass(frozen=True)
class Cell:
    org: str
    role: str
    state: str
    kind: str

    @property
    def own(self) -> bool:
        """The user's organisation owns the record's assessments and receives its referrals."""
        return self.org == COUNCIL

    @property
    def content(self) -> bool:
        """The policy lets the user know the record's content."""
        if self.role == "administrator":
            return False
        return self.state in ("no_view", "agreed", "break_glass")

    @property
    def assessor(self) -> bool:
        return self.role == "assessor"

    def __str__(self) -> str:
        return f"{self.org}/{self.role}/{self.state}/{self.kind}"


@dataclass
class Person:
    """One record and its rows, as plain values (the ORM objects are gone with their session)."""

    id: str
    chi: str
    given_name: str
    family_name: str
    date_of_birth: date
    version: int
    main: str  # the draft or the submitted assessment, as the cell's kind says
    main_version: int
    submitted: str
    signed: str
    signed_version: int
    amendment: str
    pending: str
    pending_version: int
    accepted: str
    accepted_version: int
    plan: str
    review: str
    review_version: int


@dataclass
class World:
    app: Flask
    connection: Connection
    people: dict[tuple[str, str], Person]
    browsers: dict[tuple[str, str], conftest.Client]
    org_ids: dict[str, int]


def _sharing_views(session: Session, person: Client, users: dict[Any, Any], state: str) -> None:
    """Put every organisation in ``state`` for ``person``: Community Link's assessor records
    the view for the council and NHS Tayside, NHS Tayside's for Community Link."""
    if state == "no_view":
        return
    status = "declined" if state == "break_glass" else state
    for recorder, covered in ((LINK, (COUNCIL, NHS)), (NHS, (LINK,))):
        record_sharing_view(
            session,
            Actor.for_user(users[recorder, "assessor"]),
            person,
            status=status,
            stated_on=date.today(),
            partner_ids=[users[org, "assessor"].organisation_id for org in covered],
        )


def _support(session: Session, made: Decision, service: Any) -> tuple[SupportPlan, Review]:
    """A further accepted referral with support recorded and its first review due."""
    supported = builders.referral(session, made, service, status=ReferralStatus.ACCEPTED)
    plan = SupportPlan(
        referral_id=supported.id,
        client_id=supported.client_id,
        organisation_id=supported.organisation_id,
        service_id=supported.service_id,
        start_date=date.today(),
        summary="Home care",
    )
    review = Review(
        plan=plan,
        client_id=plan.client_id,
        organisation_id=plan.organisation_id,
        due_on=date.today(),
    )
    session.add_all([plan, review])
    session.flush()
    return plan, review


def _person(
    session: Session, factories: Factories, users: dict[Any, Any], state: str, kind: str
) -> Person:
    author = users[COUNCIL, "assessor"]
    record = factories.client(
        given_name="Morag",
        family_name=next(SURNAMES),
        org=COUNCIL,
        postcode=POSTCODE,
        address=ADDRESS,
    )
    answers = {"about": {"name": SECRET_ANSWER}}
    draft = builders.assessment(
        session, record, author, status=AssessmentStatus.DRAFT, answers=answers
    )
    submitted = builders.assessment(session, record, author, answers=answers)
    signed = builders.assessment(
        session, record, author, status=AssessmentStatus.SIGNED_OFF, answers=answers
    )
    older = builders.assessment(
        session, record, author, status=AssessmentStatus.SIGNED_OFF, answers=answers
    )
    amendment = builders.assessment(
        session, record, author, status=AssessmentStatus.DRAFT, amends=older, answers=answers
    )
    made = builders.decision(session, submitted)
    service = builders.service_of(session, factories.organisation(COUNCIL))
    pending = builders.referral(session, made, service)
    accepted = builders.referral(session, made, service, status=ReferralStatus.ACCEPTED)
    plan, review = _support(session, made, service)
    _sharing_views(session, record, users, state)
    if state == "break_glass":
        now = utcnow()
        for (_org, role), user in users.items():
            if role == "administrator":
                continue  # administrators never break the glass
            session.add(
                BreakGlassGrant(
                    client_id=record.id,
                    actor=f"user:{user.id}",
                    user_id=user.id,
                    organisation_id=user.organisation_id,
                    reason="Found collapsed at home; need the medicines list",
                    granted_at=now,
                    expires_at=now + timedelta(hours=8),
                )
            )
    factories.settle()
    main = draft if kind == "draft" else submitted
    return Person(
        id=str(record.id),
        chi=record.chi,
        given_name=record.given_name,
        family_name=record.family_name,
        date_of_birth=record.date_of_birth,
        version=record.version,
        main=str(main.id),
        main_version=main.version,
        submitted=str(submitted.id),
        signed=str(signed.id),
        signed_version=signed.version,
        amendment=str(amendment.id),
        pending=str(pending.id),
        pending_version=pending.version,
        accepted=str(accepted.id),
        accepted_version=accepted.version,
        plan=str(plan.id),
        review=str(review.id),
        review_version=review.version,
    )


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    """Users, people and their rows, built once; each user signed in once, through the real
    pages (with a code from their authenticator app where their role needs one)."""
    with conftest.rolled_back_connection(app) as (connection, session):
        factories = Factories(session, app)
        users = {
            (org, role): factories.user(role=role, org=org)
            for org in ORGANISATIONS
            for role in ROLES
        }
        builders.tiny_version(session)
        people = {
            (state, kind): _person(session, factories, users, state, kind)
            for state in STATES
            for kind in KINDS
        }
        org_ids = {org: users[org, "assessor"].organisation_id for org in ORGANISATIONS}
        session.commit()
        app.test_client_class = conftest.Client
        browsers = {}
        for key, user in users.items():
            browser = app.test_client()
            sign_in_with_code(browser, factories, user)
            browsers[key] = browser
        yield World(app, connection, people, browsers, org_ids)


# ------------------------------------------------------------------------------ the probes

Expect = Callable[[Cell], int]


#: Pages whose 404 is no refusal of the access policy (a search finds nothing, the queue's
#: referrals are another organisation's; support and reviews are gated by the person's sharing
#: first, so their 404 is the policy's where the content is out of reach).
NOT_AUDITED = {"records.find", "support.queue"}


@dataclass(frozen=True)
class Probe:
    """One request to one page route, and the status each cell must get."""

    endpoint: str
    method: str
    url: Callable[[Person], str]
    expected: Expect
    form: Callable[[Person, Cell, World], dict[str, Any]] | None = None
    #: Further assertions on an allowed response: (response text, cell, person, world, change).
    check: Callable[[str, Cell, Person, World, dict[str, int]], str | None] | None = None
    #: The status of an allowed request on a draft, where it differs.
    draft: int | None = None

    @property
    def audited(self) -> bool:
        """Whether its 404 is the access policy's, audited as a refused attempt (a referral's
        is the rule that referrals are seen by the organisation they are addressed to)."""
        return not self.endpoint.startswith("queue.") and self.endpoint not in NOT_AUDITED

    def status(self, cell: Cell) -> int:
        want = self.expected(cell)
        if self.draft is not None and cell.kind == "draft" and want < 400:
            return self.draft
        return want

    @property
    def name(self) -> str:
        return f"{self.endpoint}-{self.method}"


def _workers_content(ok: int) -> Expect:
    """Pages of the record's content for assessors and team managers: 403 for administrators,
    404 where the content is out of reach."""

    def expected(cell: Cell) -> int:
        if cell.role == "administrator":
            return 403
        return ok if cell.content else 404

    return expected


def _by_kind(draft: int, submitted: int) -> Expect:
    """Assessment pages anyone who may know the content may open: by the assessment's kind."""

    def expected(cell: Cell) -> int:
        if cell.role == "administrator":
            return 403
        if not cell.content:
            return 404
        return draft if cell.kind == "draft" else submitted

    return expected


def _changes_draft(
    ok: int, *, submitted: int = 302, may: Callable[[Cell], bool] = lambda c: c.own and c.assessor
) -> Expect:
    """Changing a draft: only its organisation's assessors (403 for anyone else who may read
    it); a submitted one is redirected to its outcome. Discarding one (``may``): its author
    (the council's assessor) or a team manager of its organisation; 403 once submitted."""

    def expected(cell: Cell) -> int:
        if cell.role == "administrator":
            return 403
        if not cell.content:
            return 404
        if cell.kind == "submitted":
            return submitted
        return ok if may(cell) else 403

    return expected


def _assessor_only(allowed: Callable[[Cell], bool], ok: int = 302) -> Expect:
    """Assessor-only actions: 403 for other roles; 404 out of reach; then ``allowed`` or 403."""

    def expected(cell: Cell) -> int:
        if not cell.assessor:
            return 403
        if not cell.content:
            return 404
        return ok if allowed(cell) else 403

    return expected


def _referral(manager_only: bool) -> Expect:
    """Referrals: addressed to the user's organisation or 404; sharing does not matter."""

    def expected(cell: Cell) -> int:
        if cell.role == "administrator":
            return 403
        if not cell.own:
            return 404
        if manager_only:
            return 302 if cell.role == "team_manager" else 403
        return 200

    return expected


def _referral_worker(ok: int) -> Expect:
    """Support and reviews: the receiving organisation's workers (assessors, team managers),
    where the person's sharing lets them know the record's content; 404 otherwise."""

    def expected(cell: Cell) -> int:
        if cell.role == "administrator":
            return 403
        return ok if cell.own and cell.content else 404

    return expected


def _seen_by(cell: Cell) -> int:
    if cell.role == "assessor":
        return 403
    if cell.role == "administrator":
        return 200
    return 200 if cell.content else 404


def _break_glass(get: bool) -> Expect:
    def expected(cell: Cell) -> int:
        if cell.role == "administrator":
            return 403
        # Shared, or the glass already broken: back to the record. Refused: the form (GET) or
        # the grant and back to the record (POST).
        if get and cell.state in ("declined", "withdrawn"):
            return 200
        return 302

    return expected


def _today() -> list[str]:
    today = date.today()
    return [str(today.day), str(today.month), str(today.year)]


def _edit_form(person: Person, _cell: Cell, _world: World) -> dict[str, Any]:
    born = person.date_of_birth
    return {
        "version": str(person.version),
        "chi": person.chi,
        "given_name": "Jeannie",
        "family_name": person.family_name,
        "date_of_birth": [str(born.day), str(born.month), str(born.year)],
    }


def _sharing_form(_person: Person, cell: Cell, world: World) -> dict[str, Any]:
    # Declining never lifts anyone's restriction, so it is allowed wherever writing is.
    other = next(org for org in ORGANISATIONS if org != cell.org)
    return {"status": "declined", "partners": [str(world.org_ids[other])], "stated_on": _today()}


def _version(attribute: str) -> Callable[[Person, Cell, World], dict[str, Any]]:
    return lambda person, _cell, _world: {"version": str(getattr(person, attribute))}


def _shows_the_record(text: str, cell: Cell, person: Person, *_: Any) -> str | None:
    restricted = not cell.content
    if ('id="not-shared"' in text) is not restricted:
        return f"restricted is {restricted}, the page says otherwise"
    if (ADDRESS in text) is restricted:
        return f"address shown: {ADDRESS in text}, restricted: {restricted}"
    if person.family_name not in text:
        return "the identity is not shown"
    return None


def _search_shows(text: str, cell: Cell, person: Person, *_: Any) -> str | None:
    if person.family_name not in text:
        return "the person is not found"
    if POSTCODE in text and not cell.content:
        return "the postcode is shown where the record is not shared"
    return None


def _grants(expected_new: Callable[[Cell], int]) -> Any:
    def check(_text: str, cell: Cell, _p: Person, _w: World, change: dict[str, int]) -> Any:
        made = change.get("grants", 0)
        want = expected_new(cell)
        return None if made == want else f"{made} emergency accesses made, not {want}"

    return check


def _override(cell: Cell) -> int:
    """Changing a decision: its organisation's assessors; a draft has none to change (404)."""
    if cell.role == "administrator":
        return 403
    if not cell.content or cell.kind == "draft":
        return 404
    return 302 if cell.assessor and cell.own else 403


PERSON_PROBES = [
    Probe(
        "records.client",
        "GET",
        lambda p: f"/people/{p.id}",
        lambda _c: 200,
        None,
        _shows_the_record,
    ),
    Probe(
        "records.find", "GET", lambda p: f"/people?q={p.chi}", lambda _c: 200, None, _search_shows
    ),
    Probe("records.edit_client", "GET", lambda p: f"/people/{p.id}/edit", _workers_content(200)),
    Probe(
        "records.edit_client",
        "POST",
        lambda p: f"/people/{p.id}/edit",
        _workers_content(302),
        _edit_form,
    ),
    Probe("records.timeline", "GET", lambda p: f"/people/{p.id}/timeline", _workers_content(200)),
    Probe("records.seen_by", "GET", lambda p: f"/people/{p.id}/seen-by", _seen_by),
    Probe(
        "records.sharing_views", "GET", lambda p: f"/people/{p.id}/sharing", _workers_content(200)
    ),
    Probe(
        "records.sharing_views",
        "POST",
        lambda p: f"/people/{p.id}/sharing",
        _workers_content(302),
        _sharing_form,
    ),
    Probe(
        "records.break_glass", "GET", lambda p: f"/people/{p.id}/break-glass", _break_glass(True)
    ),
    Probe(
        "records.break_glass",
        "POST",
        lambda p: f"/people/{p.id}/break-glass",
        _break_glass(False),
        lambda _p, _c, _w: {"reason": "Found collapsed at home; need medicines list"},
        _grants(lambda c: int(c.role != "administrator" and c.state in ("declined", "withdrawn"))),
    ),
    Probe(
        "assessments.start",
        "POST",
        lambda p: f"/people/{p.id}/assessments",
        _assessor_only(lambda _c: True),
        lambda _p, _c, _w: {"questionnaire": "tiny"},
    ),
    Probe("assessments.task_list", "GET", lambda p: f"/assessments/{p.main}", _by_kind(200, 302)),
    Probe(
        "assessments.section",
        "GET",
        lambda p: f"/assessments/{p.main}/sections/about",
        _changes_draft(200),
    ),
    Probe(
        "assessments.section",
        "POST",
        lambda p: f"/assessments/{p.main}/sections/about",
        _changes_draft(302),
        _version("main_version"),
    ),
    Probe("assessments.check", "GET", lambda p: f"/assessments/{p.main}/check", _by_kind(200, 302)),
    Probe(
        "assessments.submit",
        "POST",
        lambda p: f"/assessments/{p.main}/submit",
        _changes_draft(302),
        _version("main_version"),
    ),
    Probe(
        "assessments.outcome", "GET", lambda p: f"/assessments/{p.main}/outcome", _by_kind(302, 200)
    ),
    Probe(
        "assessments.answers", "GET", lambda p: f"/assessments/{p.main}/answers", _by_kind(200, 200)
    ),
    Probe(
        "assessments.print_view",
        "GET",
        lambda p: f"/assessments/{p.main}/print",
        _by_kind(302, 200),
    ),
    Probe(
        "assessments.discard",
        "GET",
        lambda p: f"/assessments/{p.main}/discard",
        _changes_draft(200, submitted=403, may=lambda c: c.own),
    ),
    Probe(
        "assessments.discard",
        "POST",
        lambda p: f"/assessments/{p.main}/discard",
        _changes_draft(302, submitted=403, may=lambda c: c.own),
        _version("main_version"),
    ),
    Probe(
        "assessments.override",
        "POST",
        lambda p: f"/assessments/{p.main}/override",
        _override,
        lambda _p, _c, _w: {
            "route": "social_care",
            "priority": "critical",
            "reason": "Seen at home today",
        },
    ),
    Probe(
        "reviews.confirm",
        "GET",
        lambda p: f"/assessments/{p.main}/review",
        # A draft is not reviewed onto a newer version: no such page (404).
        _assessor_only(lambda _c: True, 200),
        None,
        None,
        draft=404,
    ),
    Probe(
        "reviews.start",
        "POST",
        lambda p: f"/assessments/{p.main}/review",
        # A review starts (back to its notes); a draft is not reviewed (409).
        _assessor_only(lambda _c: True),
        None,
        None,
        draft=409,
    ),
    Probe(
        "reviews.notes",
        "GET",
        lambda p: f"/assessments/{p.main}/review-notes?from={p.submitted}",
        _assessor_only(lambda _c: True, 200),
    ),
    Probe(
        "signoff.overview",
        "GET",
        lambda p: f"/assessments/{p.main}/sign-off",
        _workers_content(200),
    ),
    Probe(
        "signoff.sign_off",
        "POST",
        lambda p: f"/assessments/{p.main}/sign-off",
        _assessor_only(lambda c: c.own and c.kind == "submitted"),
        lambda person, _cell, _world: {"version": str(person.main_version), "confirm": "y"},
    ),
    Probe(
        "signoff.co_sign",
        "POST",
        lambda p: f"/assessments/{p.signed}/co-sign",
        _assessor_only(lambda c: not c.own),
        _version("signed_version"),
    ),
    Probe(
        "signoff.amend",
        "POST",
        lambda p: f"/assessments/{p.signed}/amend",
        _assessor_only(lambda c: c.own),
        _version("signed_version"),
    ),
    Probe(
        "signoff.changes",
        "GET",
        lambda p: f"/assessments/{p.amendment}/changes",
        _workers_content(200),
    ),
    Probe("queue.show", "GET", lambda p: f"/referrals/{p.pending}", _referral(False)),
    Probe(
        "queue.accept",
        "POST",
        lambda p: f"/referrals/{p.pending}/accept",
        _referral(True),
        _version("pending_version"),
    ),
    Probe(
        "queue.decline",
        "POST",
        lambda p: f"/referrals/{p.pending}/decline",
        _referral(True),
        lambda p, _c, _w: {"version": str(p.pending_version), "reason": "No capacity this month"},
    ),
    Probe(
        "queue.raise_priority",
        "POST",
        lambda p: f"/referrals/{p.pending}/priority",
        _referral(True),
        lambda p, _c, _w: {
            "version": str(p.pending_version),
            "priority": "critical",
            "urgency": "same_day",
            "priority_reason": "Carer taken into hospital",
        },
    ),
    Probe(
        "queue.complete",
        "POST",
        lambda p: f"/referrals/{p.accepted}/complete",
        _referral(True),
        _version("accepted_version"),
    ),
    Probe(
        "support.record", "GET", lambda p: f"/referrals/{p.accepted}/support", _referral_worker(200)
    ),
    Probe(
        "support.record",
        "POST",
        lambda p: f"/referrals/{p.accepted}/support",
        _referral_worker(302),
        lambda p, _c, _w: {
            "version": str(p.accepted_version),
            "start_date": _today(),
            "summary": "Home care twice a day",
        },
    ),
    Probe("support.plan", "GET", lambda p: f"/support-plans/{p.plan}", _referral_worker(200)),
    Probe("support.review", "GET", lambda p: f"/reviews/{p.review}", _referral_worker(200)),
    Probe(
        "support.outcome",
        "POST",
        lambda p: f"/reviews/{p.review}/outcome",
        _referral_worker(302),
        lambda p, _c, _w: {
            "version": str(p.review_version),
            "outcome": "end",
            "end_reason": "died",
            "reason": "Died at home",
        },
    ),
]

#: Pages about no one person's record: each user's status, whatever the record.
STAFF_PROBES = [
    Probe("records.dashboard", "GET", lambda _p: "/", lambda _c: 200),
    Probe("records.new_client", "GET", lambda _p: "/people/new", lambda _c: 200),
    Probe(
        "queue.index",
        "GET",
        lambda _p: "/referrals",
        lambda c: 403 if c.role == "administrator" else 200,
    ),
    Probe("auth.account", "GET", lambda _p: "/account", lambda _c: 200),
    Probe(
        "support.queue",
        "GET",
        lambda _p: "/reviews",
        lambda c: 403 if c.role == "administrator" else 200,
    ),
    # The quarterly return is for performance analysts only (tests/reports/).
    Probe("reports.quarterly_return_page", "GET", lambda _p: "/reports/return", lambda _c: 403),
    Probe(
        "reports.index",
        "GET",
        lambda _p: "/reports",
        lambda c: 200 if c.role == "team_manager" else 403,
    ),
    Probe(
        "reports.breaches",
        "GET",
        lambda _p: "/reports/breaches",
        lambda c: 200 if c.role == "team_manager" else 403,
    ),
    Probe(
        "reports.table_csv",
        "GET",
        lambda _p: "/reports/breaches.csv",
        lambda c: 200 if c.role == "team_manager" else 403,
    ),
]

#: Routes the matrix does not request, and why (each has tests of its own).
NOT_REQUESTED = {
    ("static", "GET"): "files, no one's record",
    ("auth.sign_in", "GET"): "before signing in",
    ("auth.sign_in", "POST"): "before signing in",
    ("auth.second_factor", "GET"): "a step of signing in",
    ("auth.second_factor", "POST"): "a step of signing in",
    ("auth.sign_out", "POST"): "would end the user's session",
    ("auth.set_up_second_factor", "GET"): "the user's own account (tests/auth)",
    ("auth.set_up_second_factor", "POST"): "the user's own account (tests/auth)",
    ("auth.change_password", "GET"): "the user's own account (tests/auth)",
    ("auth.change_password", "POST"): "the user's own account (tests/auth)",
    ("auth.new_recovery_codes", "POST"): "the user's own account (tests/auth)",
    ("records.new_client", "POST"): "creates a record (tests/records/test_clients.py)",
    (
        "assessments.print_pdf",
        "GET",
    ): "print_view's access, one function (tests/assessments/test_printing.py)",
    ("reports.quarterly_return_page", "POST"): "the same role check as its GET; the analyst's "
    "downloads and refusals are tests/reports/test_return.py",
    ("support.start_assessment", "POST"): "starts a review assessment through the reviews.start "
    "rule (tests/browser/test_support_journey.py)",
}


def _page_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith("api.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def _admin_probes(app: Flask) -> list[Probe]:
    """Administration as one class: every administration page without parameters, for
    administrators only (403 for every other role)."""
    return [
        Probe(
            rule.endpoint,
            "GET",
            lambda _p, url=rule.rule: url,
            lambda c: 200 if c.role == "administrator" else 403,
        )
        for rule in app.url_map.iter_rules()
        if classify(rule.endpoint) == ADMINISTRATION
        and "GET" in (rule.methods or set())
        and not rule.arguments
    ]


def test_every_page_route_is_classified_and_requested(app: Flask) -> None:
    """A page route nobody classified, or that the matrix neither requests nor says why not,
    fails here."""
    routes = _page_routes(app)
    unclassified = sorted(e for e, _m in routes if classify(e) is None)
    assert unclassified == [], f"classify these routes in tests/access_routes.py: {unclassified}"
    requested = {(p.endpoint, p.method) for p in PERSON_PROBES + STAFF_PROBES}
    missing = sorted(
        route
        for route in routes - requested - set(NOT_REQUESTED)
        if classify(route[0]) != ADMINISTRATION
    )
    assert missing == [], f"add a probe (or a reason in NOT_REQUESTED) for: {missing}"
    assert not (requested - routes), sorted(requested - routes)
    assert len(_admin_probes(app)) >= 5


# ---------------------------------------------------------------------------- the requests


def _fingerprint(connection: Connection) -> dict[str, Any]:
    """Everything a write could change, as plain values."""
    return {
        "clients": connection.execute(select(Client.id, Client.version)).all(),
        "assessments": connection.execute(
            select(Assessment.id, Assessment.version, Assessment.status)
        ).all(),
        "decisions": connection.execute(select(func.count()).select_from(Decision)).scalar(),
        "referrals": connection.execute(
            select(Referral.id, Referral.version, Referral.status)
        ).all(),
        "views": connection.execute(select(func.count()).select_from(SharingView)).scalar(),
        "grants": connection.execute(select(func.count()).select_from(BreakGlassGrant)).scalar(),
        "support": connection.execute(select(SupportPlan.id, SupportPlan.version)).all(),
        "reviews": connection.execute(select(Review.id, Review.version)).all(),
        "refused": connection.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == REFUSED)
        ).scalar(),
    }


def _leaks(text: str, person: Person) -> list[str]:
    return [
        word
        for word in (person.family_name, person.chi, SECRET_ANSWER, POSTCODE, ADDRESS)
        if word in text
    ]


def _run(world: World, probe: Probe, cell: Cell, person: Person) -> str | None:
    """One request in a SAVEPOINT rolled back after it; what went wrong, or None."""
    browser = world.browsers[cell.org, cell.role]
    url = probe.url(person)
    savepoint = world.connection.begin_nested()
    try:
        before = _fingerprint(world.connection)
        if probe.method == "GET":
            response = browser.get(url)
        else:
            response = browser.post_form(url, probe.form(person, cell, world) if probe.form else {})
        after = _fingerprint(world.connection)
    finally:
        savepoint.rollback()
    text = response.get_data(as_text=True)
    want = probe.status(cell)
    if response.status_code != want:
        return f"{cell}: {response.status_code}, not {want}: {' '.join(text.split())[:300]}"
    if response.status_code in (403, 404):
        leaked = _leaks(text, person)
        if leaked:
            return f"{cell}: the refusal shows {leaked}"
        refused = after.pop("refused") - before.pop("refused")
        if before != after:
            return f"{cell}: a refused write changed something"
        # The policy's refusals of a person's record are audited, in their own transaction.
        if probe.audited and response.status_code == 404 and not cell.content and refused != 1:
            return f"{cell}: {refused} refused attempts audited, not 1"
    elif probe.check is not None:
        change = {"grants": after["grants"] - before["grants"]}
        problem = probe.check(text, cell, person, world, change)
        if problem:
            return f"{cell}: {problem}"
    return None


CELLS = [
    Cell(org, role, state, kind)
    for org in ORGANISATIONS
    for role in ROLES
    for state in STATES
    for kind in KINDS
]


def test_the_matrix_has_the_size_reported(app: Flask) -> None:
    assert len(CELLS) == 3 * 3 * 5 * 2 == 90
    assert len(PERSON_PROBES) == 40
    assert len(PERSON_PROBES) * len(CELLS) == 40 * 90


@pytest.mark.parametrize("probe", PERSON_PROBES, ids=lambda p: p.name)
def test_person_page(world: World, probe: Probe) -> None:
    failures = [
        problem
        for cell in CELLS
        if (problem := _run(world, probe, cell, world.people[cell.state, cell.kind])) is not None
    ]
    assert failures == [], "\n".join(failures)


def test_pages_of_no_one_record(world: World) -> None:
    person = world.people["no_view", "draft"]
    failures = [
        problem
        for probe in STAFF_PROBES + _admin_probes(world.app)
        for org in ORGANISATIONS
        for role in ROLES
        if (problem := _run(world, probe, Cell(org, role, "no_view", "draft"), person))
    ]
    assert failures == [], "\n".join(failures)


def test_a_404_is_the_same_as_for_no_record(world: World) -> None:
    """Refused content answers exactly as a record that does not exist."""
    browser = world.browsers[NHS, "assessor"]
    refused = browser.get(f"/people/{world.people['declined', 'draft'].id}/timeline")
    missing = browser.get("/people/00000000-0000-4000-8000-000000000000/timeline")
    assert refused.status_code == missing.status_code == 404
    # The same page but for the per-response nonces and form tokens.
    assert _without_tokens(refused.get_data(as_text=True)) == _without_tokens(
        missing.get_data(as_text=True)
    )


def _without_tokens(html: str) -> str:
    return re.sub(r'(nonce|value|content)="[^"]*"', r'\1=""', html)


def test_the_data_stay_as_built(world: World) -> None:
    """Every request was rolled back: nothing the matrix did is left (so cells are independent)."""
    assert _fingerprint(world.connection)["grants"] == 2 * 6  # two break-glass people x 6 users
