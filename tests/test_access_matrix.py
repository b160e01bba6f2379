"""The access matrix: every client-record page and action x role x own/other organisation x
shared/not shared, through the real pages.

The signed-in user is always of Perth and Kinross Council. "Own" means the record, its
assessments and its referrals belong to (or are addressed to) the council; "other" means NHS
Tayside's. "Not shared" means the person declined sharing with the council (recorded by
Community Link). Expected answers: 2xx/302 where allowed, 403 where the role may never do it,
404 where the record is out of reach (exactly as for a record that does not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from assessment_engine.assessments.models import AssessmentStatus, ReferralStatus
from assessment_engine.records.models import BreakGlassGrant

from .conftest import sign_in_with_code
from .records import builders

OWN, OTHER, THIRD = "perth-kinross-council", "nhs-tayside", "community-link"
ROLES = ("assessor", "team_manager", "administrator")


@dataclass
class Scene:
    client: Any
    submitted: Any
    signed: Any
    amendment: Any
    pending: Any
    accepted: Any
    owner_assessor: Any
    third_org: Any


def _scene(factories: Any, db_session: Any, own: bool, shared: bool) -> Scene:
    owner = OWN if own else OTHER
    owner_assessor = builders.user(db_session, "assessor", factories.organisation(owner))
    client = factories.client(org=owner, postcode="PH1 5PH", address="1 High Street")
    submitted = builders.assessment(db_session, client, owner_assessor)
    signed = builders.assessment(
        db_session, client, owner_assessor, status=AssessmentStatus.SIGNED_OFF
    )
    older = builders.assessment(
        db_session, client, owner_assessor, status=AssessmentStatus.SIGNED_OFF
    )
    amendment = builders.assessment(
        db_session,
        client,
        owner_assessor,
        status=AssessmentStatus.DRAFT,
        amends=older,
        answers={"about": {"name": "Jeannie"}},
    )
    made = builders.decision(db_session, submitted)
    service = builders.service_of(db_session, factories.organisation(owner))
    pending = builders.referral(db_session, made, service)
    accepted = builders.referral(db_session, made, service, status=ReferralStatus.ACCEPTED)
    third = factories.organisation(THIRD)
    if not shared:
        recorder = builders.user(db_session, "assessor", third)
        builders.decline_sharing(db_session, client, recorder, factories.organisation(OWN))
    return Scene(client, submitted, signed, amendment, pending, accepted, owner_assessor, third)


def _edit_form(scene: Scene) -> dict[str, Any]:
    c = scene.client
    return {
        "version": str(c.version),
        "chi": c.chi,
        "given_name": "Jeannie",
        "family_name": c.family_name,
        "date_of_birth": [
            str(c.date_of_birth.day),
            str(c.date_of_birth.month),
            str(c.date_of_birth.year),
        ],
    }


def _sharing_form(scene: Scene) -> dict[str, Any]:
    today = date.today()
    return {
        "status": "agreed",
        "partners": [str(scene.third_org.id)],
        "stated_on": [str(today.day), str(today.month), str(today.year)],
    }


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    url: Callable[[Scene], str]
    expected: Callable[[str, bool, bool], int]
    form: Callable[[Scene], dict[str, Any]] | None = None


def _content(ok: int) -> Callable[[str, bool, bool], int]:
    """Pages showing the record's content: not administrators (403), 404 unless shared."""

    def expected(role: str, _own: bool, shared: bool) -> int:
        if role == "administrator":
            return 403
        return ok if shared else 404

    return expected


def _assessor_only(when: Callable[[bool], bool]) -> Callable[[str, bool, bool], int]:
    """Assessor-only actions on assessments: 403 for others; 404 unless shared; then ``when``."""

    def expected(role: str, own: bool, shared: bool) -> int:
        if role != "assessor":
            return 403
        if not shared:
            return 404
        return 302 if when(own) else 403

    return expected


def _referral(manager_only: bool) -> Callable[[str, bool, bool], int]:
    """Referral pages: addressed to the user's organisation or 404; sharing does not matter."""

    def expected(role: str, own: bool, _shared: bool) -> int:
        if role == "administrator":
            return 403
        if not own:
            return 404
        if manager_only:
            return 302 if role == "team_manager" else 403
        return 200

    return expected


def _seen_by(role: str, _own: bool, shared: bool) -> int:
    if role == "assessor":
        return 403
    if role == "administrator":
        return 200
    return 200 if shared else 404


def _break_glass(role: str, _own: bool, _shared: bool) -> int:
    # Shared: nothing to break, back to the record. Not shared: granted, back to the record.
    return 403 if role == "administrator" else 302


def _start(role: str, _own: bool, shared: bool) -> int:
    if role != "assessor":
        return 403
    return 302 if shared else 404


ACTIONS = [
    Action("view record", "GET", lambda s: f"/people/{s.client.id}", lambda *_: 200),
    Action("edit details page", "GET", lambda s: f"/people/{s.client.id}/edit", _content(200)),
    Action(
        "edit details", "POST", lambda s: f"/people/{s.client.id}/edit", _content(302), _edit_form
    ),
    Action("timeline", "GET", lambda s: f"/people/{s.client.id}/timeline", _content(200)),
    Action("who has seen", "GET", lambda s: f"/people/{s.client.id}/seen-by", _seen_by),
    Action("sharing views", "GET", lambda s: f"/people/{s.client.id}/sharing", _content(200)),
    Action(
        "record sharing view",
        "POST",
        lambda s: f"/people/{s.client.id}/sharing",
        _content(302),
        _sharing_form,
    ),
    Action(
        "break glass",
        "POST",
        lambda s: f"/people/{s.client.id}/break-glass",
        _break_glass,
        lambda s: {"reason": "Found collapsed at home; need medicines list"},
    ),
    Action(
        "start assessment",
        "POST",
        lambda s: f"/people/{s.client.id}/assessments",
        _start,
        lambda s: {"questionnaire": "tiny"},
    ),
    Action(
        "open assessment (sign-off page)",
        "GET",
        lambda s: f"/assessments/{s.signed.id}/sign-off",
        _content(200),
    ),
    Action(
        "what changed", "GET", lambda s: f"/assessments/{s.amendment.id}/changes", _content(200)
    ),
    Action(
        "sign off",
        "POST",
        lambda s: f"/assessments/{s.submitted.id}/sign-off",
        _assessor_only(lambda own: own),
        lambda s: {"version": str(s.submitted.version)},
    ),
    Action(
        "co-sign",
        "POST",
        lambda s: f"/assessments/{s.signed.id}/co-sign",
        _assessor_only(lambda own: not own),
        lambda s: {"version": str(s.signed.version)},
    ),
    Action(
        "amend",
        "POST",
        lambda s: f"/assessments/{s.signed.id}/amend",
        _assessor_only(lambda own: own),
        lambda s: {"version": str(s.signed.version)},
    ),
    Action("referral queue", "GET", lambda s: "/referrals", _referral(False)),
    Action("open referral", "GET", lambda s: f"/referrals/{s.pending.id}", _referral(False)),
    Action(
        "accept referral",
        "POST",
        lambda s: f"/referrals/{s.pending.id}/accept",
        _referral(True),
        lambda s: {"version": str(s.pending.version)},
    ),
    Action(
        "decline referral",
        "POST",
        lambda s: f"/referrals/{s.pending.id}/decline",
        _referral(True),
        lambda s: {"version": str(s.pending.version), "reason": "No capacity this month"},
    ),
    Action(
        "complete referral",
        "POST",
        lambda s: f"/referrals/{s.accepted.id}/complete",
        _referral(True),
        lambda s: {"version": str(s.accepted.version)},
    ),
]


def _fix_queue(action: Action) -> Action:
    """The queue lists the user's own organisation's referrals whoever owns the scene."""
    if action.name != "referral queue":
        return action

    def expected(role: str, _own: bool, _shared: bool) -> int:
        return 403 if role == "administrator" else 200

    return Action(action.name, action.method, action.url, expected)


ACTIONS = [_fix_queue(a) for a in ACTIONS]
CELLS = [
    (action, role, own, shared)
    for action in ACTIONS
    for role in ROLES
    for own in (True, False)
    for shared in (True, False)
]


#: The lead's "start an assessment" route (assessments.views.start) asks only
#: ``access.client_for``, which finds any existing record; it should also refuse roles other
#: than assessor (403) and records not shared with the user's organisation (404), e.g. through
#: ``access.open_record_content``. Strict: these fail loudly once it does, so the mark goes.
def _param(action: Action, role: str, own: bool, shared: bool) -> Any:
    ident = (
        f"{action.name}-{role}-{'own' if own else 'other'}-{'shared' if shared else 'not_shared'}"
    )
    return pytest.param(action, role, own, shared, id=ident)


def test_the_matrix_has_the_size_reported() -> None:
    assert len(ACTIONS) == 19
    assert len(CELLS) == 19 * 3 * 2 * 2 == 228


def _sign_in(client: Any, factories: Any, user: Any, password: str) -> None:
    """Through the real pages; a role that needs a second factor has its app set up first."""
    if (
        not user.has_second_factor
        and user.role.value in client.application.config["SECOND_FACTOR_ROLES"]
    ):
        factories.enrol(user)
    sign_in_with_code(client, factories, user, password)


@pytest.mark.parametrize(("action", "role", "own", "shared"), [_param(*cell) for cell in CELLS])
def test_access(client, factories, db_session, action, role, own, shared) -> None:
    scene = _scene(factories, db_session, own, shared)
    builders.tiny_version(db_session)
    if role == "assessor" and own:
        user = scene.owner_assessor  # the assessor who completed the council's assessments
    else:
        user = builders.user(db_session, role, factories.organisation(OWN))
    _sign_in(client, factories, user, builders.PASSWORD)
    url = action.url(scene)
    if action.method == "GET":
        response = client.get(url)
    else:
        response = client.post_form(url, action.form(scene) if action.form else {})
    expected = action.expected(role, own, shared)
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    if response.status_code == 404:
        # Never another organisation's data: the 404 page says nothing about the person.
        assert scene.client.family_name not in html and scene.client.chi not in html
    if action.name == "view record":
        restricted = role == "administrator" or not shared
        assert ('id="not-shared"' in html) is restricted
        assert ("1 High Street" in html) is not restricted
    if action.name == "break glass" and role != "administrator":
        grants = db_session.scalar(select(func.count()).select_from(BreakGlassGrant))
        assert grants == (0 if shared else 1)
