"""Rules and test cases without JSON, through the real pages: built, checked, saved, failing."""

from __future__ import annotations

import json
import re
from typing import Any

from .conftest import revision_of

BANDS = {
    "band1_label": "Low",
    "band1_low": "0",
    "band1_high": "2",
    "band2_label": "High",
    "band2_low": "3",
    "band2_high": "6",
}
SLEEP = {"title": "Sleep and energy", "questions": ["/phq9/item3", "/phq9/item4"], **BANDS}


def _hidden(html: str, name: str) -> str:
    """The value of a hidden field, whatever the order of its attributes."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, f"no {name} in the page"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def _base(number: int) -> str:
    return f"/admin/questionnaires/phq-9/versions/{number}"


def _rules_revision(client: Any, number: int) -> str:
    page = client.get(f"{_base(number)}/rules")
    assert page.status_code == 200
    return revision_of(page.get_data(as_text=True))


def _post(client: Any, number: int, path: str, data: dict[str, Any]) -> Any:
    form = {"revision": _rules_revision(client, number), "unanswered": "require", **data}
    return client.post_form(f"{_base(number)}/rules/{path}", form)


def _rules(drafts: Any, number: int) -> dict[str, Any]:
    return dict(json.loads(drafts.texts("phq-9", number)["rules"]))


def _add_sleep_and_referral(client: Any, number: int) -> None:
    assert _post(client, number, "sum", SLEEP).status_code == 302
    referral = {
        "service": "home-care",
        "trigger": "band:sleep_and_energy:high",
        "urgency": "urgent",
        "priority": "moderate",
    }
    assert _post(client, number, "referral", referral).status_code == 302


def test_a_banded_sum_and_a_referral_are_written_as_rules_and_read_back_in_words(
    client, drafts
) -> None:
    number = drafts.start("phq-9")
    _add_sleep_and_referral(client, number)

    rules = _rules(drafts, number)
    by_id = {rule["id"]: rule for rule in rules["rules"]}
    assert by_id["sleep-and-energy-total"]["items"] == ["/phq9/item3", "/phq9/item4"]
    assert by_id["sleep-and-energy-band"]["bands"] == [
        {"band": "low", "min": 0, "max": 2, "label": "Low"},
        {"band": "high", "min": 3, "max": 6, "label": "High"},
    ]
    line = by_id["routing"]["referrals"][-1]
    assert line["service"] == "home-care" and line["urgency"] == "urgent"
    assert line["when"] == {"==": [{"var": "bands.sleep_and_energy"}, "high"]}

    html = client.get(f"{_base(number)}/rules").get_data(as_text=True)
    assert "“Trouble falling or staying asleep, or sleeping too much”" in html
    assert "Low 0 to 2, High 3 to 6" in html
    assert "Refers to" in html and "(urgent, priority moderate) when the band of" in html


def test_a_change_that_breaks_the_rules_is_refused_on_the_form_and_nothing_is_saved(
    client, drafts
) -> None:
    number = drafts.start("phq-9")
    before = drafts.texts("phq-9", number)["rules"]
    overlapping = {**SLEEP, "band2_low": "2"}
    response = _post(client, number, "sum", overlapping)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in html and "overlap" in html
    assert drafts.texts("phq-9", number)["rules"] == before

    half = {**SLEEP, "band3_label": "Very high"}
    response = _post(client, number, "sum", half)
    assert response.status_code == 422
    assert "Enter the lowest total of band 3, as a number" in response.get_data(as_text=True)

    named_twice = {**SLEEP, "title": "PHQ-9 total"}
    assert _post(client, number, "sum", named_twice).status_code == 302
    response = _post(client, number, "sum", named_twice)
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)


def test_a_flag_on_an_answer_uses_the_options_words(client, drafts) -> None:
    number = drafts.start("phq-9")
    chooser = client.get(f"{_base(number)}/rules/flag")
    assert "Which answer or total does the flag test?" in chooser.get_data(as_text=True)
    step = client.get(f"{_base(number)}/rules/flag?subject=/phq9/item3")
    assert "Nearly every day" in step.get_data(as_text=True)
    response = client.post_form(
        f"{_base(number)}/rules/flag",
        {
            "revision": _rules_revision(client, number),
            "subject": "/phq9/item3",
            "title": "Sleeps badly",
            "operator": "is",
            "choice": "3",
        },
    )
    assert response.status_code == 302
    flag = _rules(drafts, number)["rules"][-1]
    assert flag == {
        "id": "sleeps-badly",
        "kind": "condition",
        "title": "Sleeps badly",
        "when": {"==": [{"var": "/phq9/item3"}, 3]},
        "flag": "sleeps_badly",
    }
    html = client.get(f"{_base(number)}/rules").get_data(as_text=True)
    assert "Sets the flag sleeps_badly when the answer to" in html
    assert "is “Nearly every day”" in html
    bad = client.get(f"{_base(number)}/rules/flag?subject=/nope")
    assert bad.status_code == 422


def _preview_answers(item3: int, item4: int) -> dict[str, Any]:
    return {"phq9": {f"item{i}": 0 for i in range(1, 10)} | {"item3": item3, "item4": item4}}


def _save_case(client: Any, number: int, name: str, answers: dict[str, Any]) -> Any:
    form = client.post_form(
        f"{_base(number)}/cases/new", {"answers": json.dumps(answers), "step": "start"}
    )
    html = form.get_data(as_text=True)
    assert form.status_code == 200, html
    assert re.search(r'value="home-care"[^>]*checked', html)  # taken from the decision
    data = {
        "answers": json.dumps(answers),
        "step": "save",
        "revision": _hidden(html, "revision"),
        "name": name,
        "route": "social_care",
        "priority": "moderate",
        "services": ["home-care"],
    }
    return client.post_form(f"{_base(number)}/cases/new", data)


def test_a_case_saved_from_the_preview_fails_after_a_band_change_naming_its_rules(
    client, drafts
) -> None:
    number = drafts.start("phq-9")
    _add_sleep_and_referral(client, number)
    assert (
        _save_case(
            client, number, "Poor sleep goes to home care", _preview_answers(2, 2)
        ).status_code
        == 302
    )
    cases = json.loads(drafts.texts("phq-9", number)["test_cases"])["cases"]
    assert cases[-1]["expect"] == {
        "route": "social_care",
        "priority": "moderate",
        "services": ["home-care"],
        "flags": [],
    }
    assert cases[-1]["given"] == _preview_answers(2, 2)

    bands = client.post_form(
        f"{_base(number)}/rules/sleep-and-energy-band/bands",
        {"revision": _rules_revision(client, number), **BANDS, "band1_high": "4", "band2_low": "5"},
    )
    assert bands.status_code == 302
    html = client.get(f"{_base(number)}/rules").get_data(as_text=True)
    failing = html[html.index("Poor sleep goes to home care") - 200 :]
    assert "Fail" in failing and "services are [], expected [home-care]" in failing
    assert "Rules concerned: Routing, Sleep and energy." in failing
    assert (
        "Questions concerned: Trouble falling or staying asleep, or sleeping too much; " in failing
    )
    assert "Trouble falling or staying asleep" in failing

    fix = client.post_form(
        f"{_base(number)}/rules/sleep-and-energy-band/bands",
        {"revision": _rules_revision(client, number), **BANDS},
    )
    assert fix.status_code == 302
    html = client.get(f"{_base(number)}/rules").get_data(as_text=True)
    assert "services are [], expected [home-care]" not in html


def test_builders_refuse_a_published_version_and_a_stale_revision(client, drafts) -> None:
    assert client.get("/admin/questionnaires/phq-9/versions/1/rules/sum").status_code == 409
    number = drafts.start("phq-9")
    response = client.post_form(
        f"{_base(number)}/rules/sum", {"revision": "0", "unanswered": "require", **SLEEP}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Someone else saved this draft" in html


def test_only_administrators_reach_the_builders(client, login_as) -> None:
    login_as("assessor", org="nhs-tayside")
    assert client.get("/admin/questionnaires/phq-9/versions/1/rules").status_code == 403


def test_removing_a_rule_others_read_is_refused_with_the_problem(client, drafts) -> None:
    number = drafts.start("phq-9")
    assert _post(client, number, "sum", SLEEP).status_code == 302
    before = drafts.texts("phq-9", number)["rules"]
    response = client.post_form(
        f"{_base(number)}/rules/sleep-and-energy-total/remove",
        {"revision": _rules_revision(client, number)},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "would give the rules a problem" in html and "sleep_and_energy_total" in html
    assert drafts.texts("phq-9", number)["rules"] == before

    removed = client.post_form(
        f"{_base(number)}/rules/sleep-and-energy-band/remove",
        {"revision": _rules_revision(client, number)},
    )
    assert removed.status_code == 302
    assert "sleep-and-energy-band" not in drafts.texts("phq-9", number)["rules"]


def test_a_flag_on_a_total_and_words_people_write_are_escaped(client, drafts) -> None:
    number = drafts.start("phq-9")
    assert _post(client, number, "sum", {**SLEEP, "title": "<b>Sleep</b>"}).status_code == 302
    response = client.post_form(
        f"{_base(number)}/rules/flag",
        {
            "revision": _rules_revision(client, number),
            "subject": "scores.b_sleep_b_total",
            "title": "Sleep <script>alert(1)</script>",
            "operator": "at_least",
            "value": "4",
        },
    )
    assert response.status_code == 302
    flag = _rules(drafts, number)["rules"][-1]
    assert flag["when"] == {">=": [{"var": "scores.b_sleep_b_total"}, 4]}
    html = client.get(f"{_base(number)}/rules").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Sleep</b>" not in html
    assert "when the total b_sleep_b_total is at least 4" in html
    not_a_number = client.post_form(
        f"{_base(number)}/rules/flag",
        {
            "revision": _rules_revision(client, number),
            "subject": "scores.b_sleep_b_total",
            "title": "Other",
            "operator": "at_least",
            "value": "four",
        },
    )
    assert not_a_number.status_code == 422
    assert "Enter a number, like 3" in not_a_number.get_data(as_text=True)


def test_a_case_saved_from_the_preview_can_pin_each_referrals_urgency(client, drafts) -> None:
    number = drafts.start("phq-9")
    _add_sleep_and_referral(client, number)
    answers = json.dumps(_preview_answers(3, 3))
    form = client.post_form(f"{_base(number)}/cases/new", {"answers": answers, "step": "start"})
    html = form.get_data(as_text=True)
    assert "Home care (urgent, priority moderate)" in html
    assert re.search(r'name="referral_levels"[^>]*checked', html)  # ticked from the decision
    data = {
        "answers": answers,
        "step": "save",
        "revision": _hidden(html, "revision"),
        "name": "Poor sleep is urgent",
        "route": "social_care",
        "priority": "moderate",
        "services": ["home-care"],
        "referral_levels": "y",
    }
    assert client.post_form(f"{_base(number)}/cases/new", data).status_code == 302
    saved = json.loads(drafts.texts("phq-9", number)["test_cases"])["cases"][-1]
    assert saved["expect"]["referrals"] == [
        {"service": "home-care", "urgency": "urgent", "priority": "moderate"}
    ]

    def routine(rules: Any) -> None:
        line = next(r for r in rules["rules"] if r["kind"] == "route")["referrals"][-1]
        line["urgency"] = "routine"

    assert drafts.edit_json("phq-9", number, "rules", routine).status_code == 302
    html = client.get(f"{_base(number)}/rules").get_data(as_text=True)
    failing = html[html.index("Poor sleep is urgent") - 200 :]
    assert "referral to home-care: urgency is routine, expected urgent" in failing
    assert "Rules concerned: Routing, Sleep and energy." in failing
