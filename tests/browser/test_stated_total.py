"""A partner's stated total that the rules do not agree with is flagged on the outcome page,
beside the decision the computed total made; axe-core checks the page."""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.sync_api import expect

from assessment_engine.extensions import db

from .conftest import check_accessibility, make_client, make_user, screenshot, sign_in

PASSWORD = "a stated total password"


def _submitted_with_a_stated_total(app: Any, chi: str, email: str) -> str:
    """A PHQ-9 submitted through the services with a stated total of 27 (the rules compute 8)."""
    from sqlalchemy import select

    from assessment_engine.assessments import services
    from assessment_engine.auth.models import User
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.records.services import find_by_chi

    with app.app_context():
        actor = Actor.for_user(db.session.scalar(select(User).where(User.email == email)))
        person = find_by_chi(db.session, chi)
        assert person is not None
        version = services.latest_published(db.session, "phq-9")
        assert version is not None
        prepared = services.prepare_version(
            db.session, app.extensions["assessment_versions"], version
        )
        record = services.start_assessment(db.session, actor, person, version)
        items = {**{f"item{n}": 1 for n in range(1, 9)}, "item9": 0}
        answers = {"phq9": {**items, "total": 27}}
        services.save_answers(db.session, actor, record, prepared, answers, expected_version=None)
        services.submit(db.session, actor, record, prepared, expected_version=None)
        db.session.commit()
        return str(record.id)


def test_the_outcome_page_flags_a_stated_total_that_disagrees(page: Any, live_app: Any) -> None:
    email = make_user(
        live_app, email="stated.sw@pkc.example", name="Sian Assessor", password=PASSWORD
    )
    chi = make_client(live_app, "Morag", "Reid", date(1968, 2, 14))
    assessment_id = _submitted_with_a_stated_total(live_app, chi, email)
    sign_in(page, email, PASSWORD)
    page.goto(f"/assessments/{assessment_id}/outcome")
    flag = page.locator(".app-stated-total")
    expect(flag).to_contain_text(
        "The response stated a PHQ-9 total score of 27; the rules computed 8"
    )
    screenshot(page, "outcome-stated-total")
    check_accessibility(page, "outcome with a stated total")
