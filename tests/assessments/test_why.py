""" "Why" in plain words: service and organisation names, scores by their instrument's name, no
internal keys or answer codes, and "did not apply" lists only the referrals not made."""

from __future__ import annotations

import re
from typing import Any

from assessment_engine.assessments import services

from ..factories import example_answers

INTERNAL = re.compile(
    r"scores\.|flags\.|bands\.|\(not_needed\)|\([a-z]+_[a-z_]+\)|joint-assessment@"
)


def test_why_speaks_in_plain_words_on_every_page(
    app: Any, client: Any, login_as: Any, factories: Any, db_session: Any
) -> None:
    user = login_as("assessor")
    person = factories.client(org=user.organisation.slug)
    submitted = factories.submitted(app, example_answers("carer-under-strain"), user, person)
    view = services.outcome_view(db_session, services.current_decision(submitted))
    everything = view.reasons + view.not_fired
    assert not [line for line in everything if INTERNAL.search(line)], everything
    slugs = {"carer-support", "home-care", "link-worker", "falls-service", "crisis-mental-health"}
    assert not [line for line in everything if any(slug in line for slug in slugs)], everything
    assert "PHQ-9 total: 4 (minimal)" in view.reasons
    assert "Carer strain total: 13 (high)" in view.reasons
    assert "Personal care priority: substantial" in view.reasons  # a decision table's band
    assert (
        "Referred to Carer support (Perth and Kinross Council), urgent: "
        "the unpaid carer may not be able to carry on"
    ) in view.reasons
    assert "Unpaid carer under strain" in view.reasons  # a finding by its rule's title
    # Carer support was referred to (by one of its two lines): it is not "did not apply".
    assert not [line for line in view.not_fired if "Carer support" in line]
    assert "No referral to Falls prevention service (NHS Tayside)" in view.not_fired
    assert view.rules_title.startswith("Joint") and "version" in view.rules_title

    for page in (f"/assessments/{submitted.id}/outcome", f"/assessments/{submitted.id}/print"):
        html = client.get(page).get_data(as_text=True)
        assert "Referred to Carer support (Perth and Kinross Council)" in html, page
        assert not INTERNAL.search(html.split('id="reasons"')[-1].split("</ul>")[0]), page
    timeline = client.get(f"/people/{person.id}/timeline").get_data(as_text=True)
    assert "By the rules of Joint" in timeline and "joint-assessment@" not in timeline
