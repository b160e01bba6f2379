"""An administrator sets a service's team email address, where same-day and urgent referrals
and the daily digest are sent: a broken address is refused on its field, a good one is saved
and listed; a notification that failed for good for want of it is sent again from the
notifications page. axe-core checks every page on the way."""

from __future__ import annotations

import re
from typing import Any

from assessment_engine.extensions import db

from .conftest import check_accessibility, make_user, screenshot, sign_in

PASSWORD = "a team address journey password"


def _unaddressed_service_with_a_failed_notification(app: Any) -> None:
    """Services set up without a team address (every demo service has one); an urgent
    referral's notification to the last therefore failed for good."""
    from assessment_engine.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
    from assessment_engine.partners.models import OrganisationKind
    from assessment_engine.partners.services import ensure_service, get_organisation

    with app.app_context():
        council = get_organisation(db.session, "perth-kinross-council")
        for slug, name in (("day-centre", "Day centre"), ("carer-breaks", "Carer breaks")):
            service, _ = ensure_service(
                db.session,
                slug=slug,
                name=name,
                organisation=council,
                kind=OrganisationKind.SOCIAL_CARE,
            )
        db.session.flush()
        db.session.add(
            OutboxMessage(
                kind=OutboxKind.REFERRAL,
                service_id=service.id,
                detail={"urgency": "urgent"},
                status=OutboxStatus.FAILED,
                attempts=1,
                last_error="Undeliverable: the service has no team email address",
            )
        )
        db.session.commit()


def test_an_administrator_sets_where_a_team_is_told_of_urgent_referrals(
    page: Any, live_app: Any
) -> None:
    admin = make_user(
        live_app,
        email="admin.teams@pkc.example",
        name="Tam Admin",
        password=PASSWORD,
        role="administrator",
    )
    _unaddressed_service_with_a_failed_notification(live_app)
    sign_in(page, admin, PASSWORD)
    page.goto("/admin/services")
    check_accessibility(page, "admin services")
    row = page.get_by_role("row", name=re.compile("^Carer breaks"))
    assert "No address" in row.inner_text()
    warning = page.locator("#services-without-address")
    before = int(warning.inner_text().split("Warning")[-1].split()[0])
    assert "no team email address" in warning.inner_text()
    screenshot(page, "admin-services-without-address")

    page.get_by_role("link", name="Carer breaks").click()
    page.get_by_role("heading", name="Change Carer breaks").wait_for()
    check_accessibility(page, "admin service team address")
    field = page.get_by_label("Team email address")
    field.fill("team(carers)@pkc.example")  # a comment: delivered, but not as it reads
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert (
        page.locator("#team_email-error")
        .inner_text()
        .endswith("Enter the team email address like team-7301@tayside.example")
    )
    check_accessibility(page, "admin service team address refused")
    screenshot(page, "admin-service-team-address-refused")

    page.get_by_label("Team email address").fill("team-4410@pkc.example")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Carer breaks's team email address was saved.").wait_for()
    row = page.get_by_role("row", name=re.compile("^Carer breaks"))
    assert "team-4410@pkc.example" in row.inner_text()
    left = page.locator("#services-without-address").inner_text()
    assert f"{before - 1} active" in left
    check_accessibility(page, "admin services after saving")
    screenshot(page, "admin-services-team-address")

    # The urgent referral's notification that failed for want of the address is sent again.
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("heading", name="Notifications not delivered").wait_for()
    row = page.get_by_role("row", name=re.compile("Carer breaks"))
    assert "Failed after 1 attempt" in row.inner_text()
    assert "no team email address" in row.inner_text()
    check_accessibility(page, "admin notifications not delivered")
    screenshot(page, "admin-notifications-failed")
    row.get_by_role("button", name=re.compile("^Send again")).click()
    page.get_by_text("will be sent again when the scheduled jobs next run").wait_for()
    row = page.get_by_role("row", name=re.compile("Carer breaks"))
    assert row.count() == 0 or "Failed" not in row.inner_text()
    check_accessibility(page, "admin notifications sent again")

    # The same administrator's review policy: a day count out of range is refused on its field;
    # the policy saved as it stands (other journeys on this server rely on its days).
    page.get_by_role("link", name="Review policy").click()
    page.get_by_label("Days to the first review", exact=True).wait_for()
    check_accessibility(page, "admin review policy")
    first = page.get_by_label("Days to the first review", exact=True)
    kept = first.input_value()
    first.fill("0")
    page.get_by_role("button", name="Save the review policy").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert (
        "must be a number of days from 1 to 3650"
        in page.locator("#first_review_days-error").inner_text()
    )
    check_accessibility(page, "admin review policy refused")
    page.get_by_label("Days to the first review", exact=True).fill(kept)
    page.get_by_role("button", name="Save the review policy").click()
    page.get_by_text("The review policy has been saved.").wait_for()
    assert page.get_by_label("Days to the first review", exact=True).input_value() == kept
    check_accessibility(page, "admin review policy saved")
    screenshot(page, "admin-review-policy")
