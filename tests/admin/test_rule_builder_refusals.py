"""The rules builders on bad input, expert-written rules and versions they cannot change: each
refusal is a page that says why, never a 500, and nothing odd is written to the rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .test_rule_builder import SLEEP, _base, _post, _rules, _rules_revision


def _broken_questions(drafts: Any, number: int) -> None:
    document = json.loads(drafts.texts("phq-9", number)["document"])
    document["$defs"]["phq9"]["properties"]["item1"]["type"] = "strin"
    assert drafts.save("phq-9", number, document=json.dumps(document)).status_code == 302


def test_a_builder_on_a_draft_whose_questions_cannot_be_read_says_why(client, drafts) -> None:
    number = drafts.start("phq-9")
    _broken_questions(drafts, number)
    for path in ("sum", "flag", "flag?subject=/phq9/item3"):
        response = client.get(f"{_base(number)}/rules/{path}")
        html = response.get_data(as_text=True)
        assert response.status_code == 409, path
        assert "The questions have problems to fix first" in html
        assert "/$defs/phq9/properties/item1" in html  # the problem, where it is
        assert "Go to version" in html


def test_a_builder_on_a_published_version_says_it_cannot_change(client, drafts) -> None:
    response = client.get(f"{_base(1)}/rules/sum")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This version can no longer change" in html and "Start a new draft" in html


@pytest.mark.parametrize("number_text", ["Infinity", "NaN", "1e400", "-inf"])
def test_a_band_that_is_not_a_finite_number_is_refused_on_its_field(
    client, drafts, number_text: str
) -> None:
    number = drafts.start("phq-9")
    before = drafts.texts("phq-9", number)["rules"]
    response = _post(client, number, "sum", {**SLEEP, "band2_high": number_text})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the highest total of band 2, as a number" in html
    assert drafts.texts("phq-9", number)["rules"] == before


@pytest.mark.parametrize("number_text", ["inf", "nan", "1e400"])
def test_a_flag_on_a_total_refuses_a_value_that_is_not_a_finite_number(
    client, drafts, number_text: str
) -> None:
    number = drafts.start("phq-9")
    before = drafts.texts("phq-9", number)["rules"]
    response = client.post_form(
        f"{_base(number)}/rules/flag",
        {
            "revision": _rules_revision(client, number),
            "subject": "scores.phq9_total",
            "title": "Very high",
            "operator": "at_least",
            "value": number_text,
        },
    )
    assert response.status_code == 422
    assert "Enter a number, like 3" in response.get_data(as_text=True)
    assert drafts.texts("phq-9", number)["rules"] == before


def test_the_rules_page_reads_expert_rules_it_cannot_build_without_failing(client, drafts) -> None:
    number = drafts.start("phq-9")
    rules = _rules(drafts, number)
    by_id = {rule["id"]: rule for rule in rules["rules"]}
    by_id["routing"]["no_referral_priority"] = "whenever"
    by_id["routing"]["referrals"].append("not a referral line")
    by_id["phq9-band"]["bands"].append({"band": "open", "label": "Open ended"})
    assert drafts.save("phq-9", number, rules=json.dumps(rules)).status_code == 302

    page = client.get(f"{_base(number)}/rules")
    assert page.status_code == 200
    assert "priority unknown" in page.get_data(as_text=True)

    bands = client.get(f"{_base(number)}/rules/phq9-band/bands")
    assert bands.status_code == 200  # the bands it can read, to put right

    removed = client.post_form(
        f"{_base(number)}/rules/referrals/crisis/remove",
        {"revision": _rules_revision(client, number)},
    )
    assert removed.status_code == 302  # the problems it had were not new: moved, not added
    lines = {rule["id"]: rule for rule in _rules(drafts, number)["rules"]}["routing"]["referrals"]
    assert "crisis" not in [line.get("id") for line in lines if isinstance(line, dict)]


def test_a_case_from_answers_that_are_not_plain_json_is_not_saved_with_them(client, drafts) -> None:
    number = drafts.start("phq-9")
    before = drafts.texts("phq-9", number)["test_cases"]
    for answers in ('{"phq9": {"item1": NaN}}', '{"phq9": {"item1": 1e400}}'):
        data = {
            "answers": answers,
            "step": "save",
            "revision": _rules_revision(client, number),
            "name": "Odd numbers",
            "route": "community",
            "priority": "no_risk",
        }
        response = client.post_form(f"{_base(number)}/cases/new", data)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"{_base(number)}/preview")
    assert drafts.texts("phq-9", number)["test_cases"] == before


def test_test_cases_expecting_flags_or_services_that_are_not_names_are_a_problem_not_a_500(
    client, drafts
) -> None:
    number = drafts.start("phq-9")
    given = json.loads(drafts.texts("phq-9", number)["test_cases"])["cases"][0]["given"]
    for key, listed in (("services", [1, "home-care"]), ("flags", [["x"]]), ("not_flags", [{}])):
        cases = {"cases": [{"name": "Odd", "given": given, "expect": {key: listed}}]}
        saved = drafts.save("phq-9", number, test_cases=json.dumps(cases))
        assert saved.status_code == 302, key  # saved, with the problem shown: work not lost
        html = client.get(f"{_base(number)}/rules").get_data(as_text=True)
        assert f"&#39;{key}&#39; must be a list of names" in html


def test_removing_by_an_id_two_rules_share_is_refused_and_removes_neither(client, drafts) -> None:
    number = drafts.start("phq-9")

    def twice(rules: Any) -> None:
        flag = next(rule for rule in rules["rules"] if rule["id"] == "mood-severe")
        rules["rules"].append({**flag, "flag": "mood_severe_again"})
        routing = next(rule for rule in rules["rules"] if rule["id"] == "routing")
        routing["referrals"].append({**routing["referrals"][0]})

    assert drafts.edit_json("phq-9", number, "rules", twice).status_code == 302
    before = drafts.texts("phq-9", number)["rules"]
    for path in ("mood-severe/remove", "referrals/crisis/remove"):
        response = client.post_form(
            f"{_base(number)}/rules/{path}", {"revision": _rules_revision(client, number)}
        )
        assert response.status_code == 302
        page = client.get(f"{_base(number)}/rules").get_data(as_text=True)
        assert "which one to remove cannot be told" in page, path
    assert drafts.texts("phq-9", number)["rules"] == before


def test_a_removal_on_a_page_someone_else_has_saved_since_says_so_in_its_words(
    client, drafts
) -> None:
    number = drafts.start("phq-9")
    opened = _rules_revision(client, number)
    assert drafts.save("phq-9", number, revision=opened, test_cases="").status_code == 302
    assert _rules_revision(client, number) != opened
    response = client.post_form(
        f"{_base(number)}/rules/referrals/crisis/remove", {"revision": opened}
    )
    assert response.status_code == 302
    html = client.get(f"{_base(number)}/rules").get_data(as_text=True)
    assert "Someone else saved this draft since you opened this page, so nothing was" in html
    assert "Your text is below" not in html  # the JSON editor's words: no text is below here
    routing = next(r for r in _rules(drafts, number)["rules"] if r["id"] == "routing")
    assert "crisis" in [line["id"] for line in routing["referrals"]]


@pytest.mark.parametrize("revision", ["abc", "99999999999999999999999", "-5"])
def test_a_revision_that_is_no_revision_keeps_the_form_and_saves_nothing(
    client, drafts, revision: str
) -> None:
    number = drafts.start("phq-9")
    before = drafts.texts("phq-9", number)["rules"]
    response = client.post_form(
        f"{_base(number)}/rules/sum", {**SLEEP, "revision": revision, "unanswered": "require"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Someone else saved this draft" in html and 'value="Sleep and energy"' in html
    assert drafts.texts("phq-9", number)["rules"] == before


def test_the_json_editor_keeps_the_text_when_the_revision_is_no_revision(client, drafts) -> None:
    number = drafts.start("phq-9")
    texts = drafts.texts("phq-9", number)
    for revision in ("abc", "99999999999999999999999"):
        response = drafts.save("phq-9", number, revision=revision, test_cases="")
        assert response.status_code == 409, revision
        assert "Someone else saved this draft since you opened it" in response.get_data(
            as_text=True
        )
    assert drafts.texts("phq-9", number) == texts
