"""Conditional questions (hidden, described for the script, pruned) and errors at their fields."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from assessment_engine.forms import (
    answers_from_form,
    apply_errors,
    error_summary,
    newly_visible,
    read_section,
    section_form,
)
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire

from .conftest import element_ids, post_data, render

pytestmark = pytest.mark.usefixtures("request_context")


def _wrapper(html: str, pointer: str) -> tuple[bool, Any]:
    """Whether the conditional wrapper of ``pointer`` is hidden, and its conditions."""
    match = re.search(
        rf'<div class="app-conditional" data-pointer="{re.escape(pointer)}"'
        r' data-conditions="([^"]*)"( hidden)?>',
        html,
    )
    assert match, f"no conditional wrapper for {pointer}"
    return bool(match.group(2)), json.loads(match.group(1).replace("&#34;", '"'))


def test_hidden_questions_are_rendered_hidden_with_their_conditions(
    joint: CompiledQuestionnaire,
) -> None:
    html = render(section_form(joint, "falls", {"falls": {"fallen": False}}))
    hidden, conditions = _wrapper(html, "/falls/falls_count")
    assert hidden
    assert conditions == [
        {
            "negated": False,
            "clauses": [
                {"subject": "falls-fallen", "type": "boolean", "keyword": "const", "value": True}
            ],
        }
    ]
    assert 'name="falls-fallen"' in html  # the subject the script listens to is on the page
    shown, _ = _wrapper(
        render(section_form(joint, "falls", {"falls": {"fallen": True}})), "/falls/falls_count"
    )
    assert not shown


def test_conditions_inside_repeat_items_name_the_sibling_in_the_same_item(
    joint: CompiledQuestionnaire,
) -> None:
    answers = {"health": {"conditions": [{"condition": "asthma"}, {"condition": "other"}]}}
    html = render(section_form(joint, "health", answers))
    first_hidden, first = _wrapper(html, "/health/conditions/0/other_condition")
    second_hidden, second = _wrapper(html, "/health/conditions/1/other_condition")
    assert first_hidden and not second_hidden
    assert first[0]["clauses"][0]["subject"] == "health-conditions-0-condition"
    assert second[0]["clauses"][0]["subject"] == "health-conditions-1-condition"


def test_contains_conditions_on_checkboxes_describe_the_none_box(
    joint: CompiledQuestionnaire,
) -> None:
    html = render(section_form(joint, "memory", {}))
    hidden, conditions = _wrapper(html, "/memory/legal_powers_contact")
    clause = conditions[0]["clauses"][0]
    assert hidden
    assert clause["keyword"] == "contains" and clause["type"] == "array"
    assert clause["none"] == "none" and f'value="{clause["none"]}"' in html
    assert clause["value"] == {
        "enum": ["welfare_poa", "continuing_poa", "guardianship", "intervention_order"]
    }


def test_answers_to_hidden_questions_are_dropped_and_their_errors_ignored(
    joint: CompiledQuestionnaire,
) -> None:
    answers = {"falls": {"fallen": True, "falls_count": 3}}
    data = post_data(render(section_form(joint, "falls", answers)))
    data["falls-fallen"] = "false"
    data["falls-falls_count"] = "lots"  # hidden now: its bad value must not stop the save
    result = read_section(joint, "falls", answers, data)
    assert result.ok, result.errors
    assert result.answers["falls"] == {"fallen": False}


def test_hidden_groups_are_pruned_too(joint: CompiledQuestionnaire) -> None:
    answers = {
        "carer": {
            "has_unpaid_carer": True,
            "hours_per_week": 10,
            "strain": {"health": 1, "sleep": 2},
        }
    }
    data = post_data(render(section_form(joint, "carer", answers)))
    data["carer-has_unpaid_carer"] = "false"
    assert answers_from_form(section_form(joint, "carer", answers, data)) == {
        "has_unpaid_carer": False
    }


def test_newly_visible_questions_are_reported_until_answered(
    joint: CompiledQuestionnaire,
) -> None:
    before = {"falls": {"fallen": False}}
    after = {"falls": {"fallen": True}}
    assert newly_visible(joint, before, after, "falls") == {
        "/falls/falls_count",
        "/falls/falls_events",
    }
    answered = {"falls": {"fallen": True, "falls_count": 2, "falls_events": []}}
    assert newly_visible(joint, before, answered, "falls") == frozenset()
    assert newly_visible(joint, after, after, "falls") == frozenset()
    assert newly_visible(joint, before, after, "health") == frozenset()


def test_type_errors_come_from_the_form_and_range_errors_from_the_validator(
    joint: CompiledQuestionnaire,
) -> None:
    answers = {"falls": {"fallen": True}}
    data = post_data(render(section_form(joint, "falls", answers)))
    data["falls-falls_count"] = "2.5"
    result = read_section(joint, "falls", answers, data)
    assert result.errors == {"/falls/falls_count": ["Enter a whole number"]}
    data["falls-falls_count"] = "500"
    result = read_section(joint, "falls", answers, data)
    assert result.errors == {"/falls/falls_count": ["Must be 100 or less"]}
    page = render(result.form)
    # The page names the question; the errors (the API's too) keep the short message.
    shown = (
        "\u2018How many times has the person fallen in the last 6 months?\u2019 must be 100 or less"
    )
    assert 'id="falls-falls_count-error"' in page and shown in page
    assert 'value="500"' in page  # what was typed is shown back
    assert result.error_list == [{"text": shown, "href": "#falls-falls_count"}]


def test_error_summary_links_to_fields_in_page_order(joint: CompiledQuestionnaire) -> None:
    answers = {"falls": {"fallen": True, "falls_events": [{}, {}]}}
    data = post_data(render(section_form(joint, "falls", answers)))
    for name, value in [
        ("falls-falls_events-1-date", "30"),
        ("falls-falls_events-1-date", "2"),
        ("falls-falls_events-1-date", "2025"),
    ]:
        data.add(name, value)
    data.setlist("falls-falls_events-1-date", ["30", "2", "2025"])
    data.setlist("falls-falls_events-0-date", ["1", "", "2025"])
    result = read_section(joint, "falls", answers, data, complete=True)
    summary = result.error_list
    ids = set(element_ids(render(result.form)))
    for entry in summary:
        assert entry["href"][1:] in ids, entry
    hrefs = [entry["href"] for entry in summary]
    assert hrefs[:3] == [
        "#falls-falls_count",
        "#falls-falls_events-0-date-month",
        "#falls-falls_events-0-injured",
    ]
    assert "#falls-falls_events-1-date-day" in hrefs
    assert {
        "text": "\u2018When did the fall happen?\u2019 in fall 2: The date must be a real date",
        "href": "#falls-falls_events-1-date-day",
    } in summary
    assert hrefs.index("#falls-falls_events-1-date-day") < hrefs.index("#falls-mobility_indoors")


def test_validator_errors_land_on_groups_items_and_unknown_pointers(
    joint: CompiledQuestionnaire,
) -> None:
    form = section_form(joint, "health", {"health": {"medicines": [{}]}})
    apply_errors(
        form,
        {
            "/health/nursing_tasks": ["Answer these questions"],
            "/health/medicines/0/name": ["Enter an answer"],
            "/health/no_such_question": ["This is not a question in this questionnaire"],
            "/falls/fallen": ["Select an answer"],  # another section: not this page's
        },
    )
    summary = error_summary(form)
    assert summary == [
        {"text": "This is not a question in this questionnaire", "href": "#health-gp_practice"},
        {
            "text": "Enter an answer for \u2018Name of the medicine\u2019 in medicine 1",
            "href": "#health-medicines-0-name",
        },
        {"text": "Answer these questions", "href": "#health-nursing_tasks-wound_care"},
    ]
    page = render(form)
    assert 'id="health-nursing_tasks-error"' in page
    assert 'id="health-medicines-0-name-error"' in page
    ids = set(element_ids(page))
    assert all(entry["href"][1:] in ids for entry in summary)


def test_a_submission_reports_missing_answers_but_a_draft_does_not(
    joint: CompiledQuestionnaire,
) -> None:
    data = post_data(render(section_form(joint, "consent", {})))
    assert read_section(joint, "consent", {}, data).ok
    complete = read_section(joint, "consent", {}, data, complete=True)
    assert complete.errors["/consent/agrees_to_assessment"] == ["Select an answer"]


def test_ticking_none_and_an_option_without_javascript_is_refused(
    joint: CompiledQuestionnaire,
) -> None:
    data = post_data(render(section_form(joint, "home", {})))
    data.setlist("home-safety_concerns", ["none"])
    assert read_section(joint, "home", {}, data).answers["home"]["safety_concerns"] == []
    data.setlist("home-safety_concerns", ["trip_hazards", "none"])
    result = read_section(joint, "home", {}, data)
    assert list(result.errors) == ["/home/safety_concerns"]
    assert result.error_list[0]["href"] == "#home-safety_concerns"


def test_unknown_option_values_are_reported_by_the_validator(
    joint: CompiledQuestionnaire,
) -> None:
    data = post_data(render(section_form(joint, "mood", {})))
    data["mood-phq9-item1"] = "7"
    data["mood-current_support"] = "crystals"
    result = read_section(joint, "mood", {}, data)
    assert result.errors == {
        "/mood/phq9/item1": ["Select one of the options"],
        "/mood/current_support": ["Select one of the options"],  # placed on its question
    }
    assert [e["href"] for e in result.error_list] == ["#mood-phq9-item1", "#mood-current_support"]
