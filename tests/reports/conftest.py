"""The reports' tests: one small world of the council's work today (the outputs), and the demo's
people, assessments and support (the return's tests, and the API's)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from assessment_engine.assessments import referrals
from assessment_engine.assessments.clock import uk_today
from assessment_engine.assessments.models import Referral
from assessment_engine.auth.models import User
from assessment_engine.demo import load_demo
from assessment_engine.kernel.actor import Actor
from assessment_engine.support import services as support

from ..factories import example_answers

COUNCIL = "perth-kinross-council"


@pytest.fixture
def demo(app: Any, db_session: Any) -> dict[str, User]:
    """The demo partners, people, assessments and support (made today), by user email."""
    report = load_demo(
        db_session, Path(app.config["FORM_SCHEMAS_DIR"]), app.extensions["assessment_versions"]
    )
    db_session.flush()
    return {user.email: user for user in report.users}


@pytest.fixture
def world(app: Any, db_session: Any, factories: Any) -> dict[str, Any]:
    """Two of the council's assessments submitted today, one home-care referral accepted and
    its support started; the council's team manager."""
    assessor = factories.user("assessor", COUNCIL)
    manager = factories.user("team_manager", COUNCIL)
    people = [
        factories.client("Jean", "MacDonald", postcode="PH1 5PH"),
        factories.client("Iain", "Robertson", date(1935, 9, 9), postcode="PH16 5AF"),
    ]
    made = [
        factories.submitted(app, example_answers("frail-older-person-living-alone"), assessor, p)
        for p in people
    ]
    home_care = list(
        db_session.scalars(
            select(Referral)
            .where(Referral.assessment_id.in_([a.id for a in made]))
            .where(Referral.service.has(slug="home-care"))
            .order_by(Referral.created_at)
        )
    )
    accepted = referrals.accept(
        db_session, Actor.for_user(manager), home_care[0], expected_version=None
    )
    support.record_support(
        db_session,
        Actor.for_user(manager),
        accepted,
        start_date=uk_today(),
        summary="Home care, mornings",
    )
    factories.settle()
    return {"manager": manager, "assessor": assessor, "people": people, "home_care": home_care}
