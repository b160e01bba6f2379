"""Administrators set when their organisation's reviews of support fall due: field errors for
days out of range; the saved policy is what new support plans follow."""

from __future__ import annotations

from assessment_engine.support import services as support


def test_the_review_policy_is_data_administrators_change(client, admin, db_session) -> None:
    page = client.get("/admin/review-policy")
    assert page.status_code == 200
    assert 'value="42"' in page.get_data(as_text=True)  # the default, until changed
    bad = client.post_form(
        "/admin/review-policy",
        {"first_review_days": "0", "critical_first_review_days": "14", "review_interval_days": ""},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Days to the first review must be a number of days from 1 to 3650" in text
    assert "Enter days between reviews as a number of days" in text
    assert support.review_policy(db_session, admin.organisation_id)["first_review_days"] == 42
    saved = client.post_form(
        "/admin/review-policy",
        {
            "first_review_days": "21",
            "critical_first_review_days": "14",
            "review_interval_days": "180",
        },
    )
    assert saved.status_code == 302
    assert support.review_policy(db_session, admin.organisation_id) == {
        "first_review_days": 21,
        "critical_first_review_days": 14,
        "review_interval_days": 180,
    }
