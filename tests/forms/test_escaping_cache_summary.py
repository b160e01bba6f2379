"""Hostile questionnaire text is escaped; form classes are built once per version; check
your answers shows answers in words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import render_template_string

from assessment_engine.forms import (
    answers_from_form,
    error_summary,
    questionnaire_forms,
    section_form,
    section_form_class,
    summary_rows,
)
from assessment_engine.forms.builder import apply_errors
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire
from assessment_engine.questionnaires.runtime import PreparedVersion

from .conftest import compile_document, element_ids, kitchen_sink, post_data, render

pytestmark = pytest.mark.usefixtures("request_context")

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
SUMMARY_LIST = (
    '{% from "govuk_frontend_jinja/components/summary-list/macro.html" import govukSummaryList %}'
    "{{ govukSummaryList({'rows': rows}) }}"
)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_titles_hints_and_options_are_shown_as_text(text: str) -> None:
    hostile = compile_document(kitchen_sink(title=text, hint=text, label=text))
    answers = {
        "main": {
            "colour": "red",
            "pets": ["cat"],
            "things": [{"what": text}],
            "name": text,
            "scale": {"a": 0, "b": 3},
        }
    }
    form = section_form(hostile, "main", answers)
    apply_errors(form, {"/main/name": [text]})
    html = render(form)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&#34;&gt;&lt;img" in html
    rows = summary_rows(hostile, answers, "main", change_url="/page")
    listing = render_template_string(SUMMARY_LIST, rows=rows)
    assert "<script>" not in listing and "<img" not in listing
    # Plain text, for govukErrorSummary's "text", naming the (hostile) question.
    assert error_summary(form)[0]["text"] == f"\u2018{text}\u2019: {text}"


def test_form_classes_are_built_once_per_version(joint: CompiledQuestionnaire) -> None:
    first = section_form_class(joint, "health")
    prepared = PreparedVersion("joint-assessment", 1, joint, None)
    assert section_form_class(prepared, "health") is first
    assert questionnaire_forms(joint) is questionnaire_forms(prepared)
    assert type(section_form(prepared, "health", {})) is first
    assert type(section_form(joint, "health", {}, post_data(""))) is first
    other = compile_document(kitchen_sink())
    assert questionnaire_forms(other) is not questionnaire_forms(compile_document(kitchen_sink()))


def test_field_ids_and_names_follow_the_pointer(joint: CompiledQuestionnaire) -> None:
    answers = {"health": {"medicines": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}}
    html = render(section_form(joint, "health", answers))
    assert 'id="health-medicines-2-name" name="health-medicines-2-name"' in html
    assert 'id="health-nursing_tasks-wound_care" name="health-nursing_tasks-wound_care"' in html
    assert 'id="health-weight_kg"' in html


def test_odd_question_names_get_distinct_ids() -> None:
    document = kitchen_sink()
    main = document["properties"]["main"]["properties"]
    main["a-b"] = {"type": "string", "title": "Dash"}
    main["data"] = {"type": "string", "title": "Clashes with WTForms' form.data"}
    main["a b/c"] = {"type": "string", "title": "Spaces and slash"}
    odd = compile_document(document)
    answers = {"main": {"a-b": "1", "data": "2", "a b/c": "3"}}
    html = render(section_form(odd, "main", answers))
    assert 'id="main-a.2d.b"' in html and 'id="main-data"' in html
    assert 'id="main-a.20.b.2f.c"' in html
    posted = section_form(odd, "main", answers, post_data(html))
    assert answers_from_form(posted) == answers["main"]


def test_gov_uk_markup_for_each_kind_of_question(sink: CompiledQuestionnaire) -> None:
    html = render(section_form(sink, "main", {"main": {"colour": "red"}}))
    legend = r'<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">\s*A scale'
    assert re.search(legend, html)
    assert re.search(r'aria-describedby="main-scale-hint"', html)
    assert 'class="govuk-radios govuk-radios--inline"' in html  # yes/no
    assert '<div class="govuk-input__suffix" aria-hidden="true">kg</div>' in html
    assert 'data-module="govuk-character-count" data-maxlength="500"' in html
    assert 'id="main-born-day"' in html and 'id="main-born-year"' in html
    assert '<select class="govuk-select" id="main-city" name="main-city"' in html
    assert 'data-behaviour="exclusive"' in html and "None of these" in html
    assert 'class="govuk-inset-text"' in html and "Section guidance" in html
    assert 'id="main-scale-total"' in html  # the calculated total, shown, with no input
    assert 'name="main-scale-total"' not in html
    assert "Answer every question above to see this" in html
    full = render(section_form(sink, "main", {"main": {"scale": {"a": 3, "b": 3}}}))
    assert re.search(r'<dd class="govuk-summary-list__value">\s*6\s*</dd>', full)


def test_check_your_answers_rows(joint: CompiledQuestionnaire, examples: dict[str, Any]) -> None:
    answers = examples["falls-and-nursing-tasks"]
    rows = summary_rows(joint, answers, "falls", change_url="/a/1/falls")
    by_key = {row["key"]["text"]: row for row in rows}
    assert by_key["Has the person fallen in the last 6 months?"]["value"] == {"text": "Yes"}
    fall = by_key["Fall 1"]
    assert str(fall["value"]["html"]).startswith("When did the fall happen?: 12 July 2025<br>")
    assert "Where did it happen?: Indoors at home" in str(fall["value"]["html"])
    assert fall["field_id"] == "falls-falls_events-0-date-day"
    assert (
        str(by_key["Which walking aids does the person use?"]["value"]["html"]).count("<br>") == 1
    )
    assert fall["actions"]["items"][0]["href"] == "/a/1/falls#falls-falls_events-0-date-day"
    page_ids = set(element_ids(render(section_form(joint, "falls", answers))))
    assert all(row["field_id"] in page_ids for row in rows)
    mood = {row["key"]["text"]: row["value"] for row in summary_rows(joint, answers, "mood")}
    assert mood["PHQ-9 total score"] == {"text": "2"}
    assert mood["Little interest or pleasure in doing things"] == {"text": "Not at all"}
    health = {row["key"]["text"]: row["value"] for row in summary_rows(joint, answers, "health")}
    assert health["Weight"] == {"text": "Not answered"}


def test_check_your_answers_leaves_out_hidden_questions(joint: CompiledQuestionnaire) -> None:
    answers = {"falls": {"fallen": False, "falls_count": 4}, "about": {"main_language": "gaelic"}}
    keys = [row["key"]["text"] for row in summary_rows(joint, answers, "falls")]
    assert "How many times has the person fallen in the last 6 months?" not in keys
    assert "Tell us about the falls" not in keys
    empty = {
        row["key"]["text"]: row["value"]
        for row in summary_rows(joint, {"health": {"medicines": []}}, "health")
    }
    assert empty["Medicines"] == {"text": "None"}
    assert empty["Health conditions"] == {"text": "Not answered"}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_option_values_and_condition_values_are_escaped(text: str) -> None:
    document = kitchen_sink()
    main = document["properties"]["main"]
    main["properties"]["colour"]["oneOf"][0]["const"] = text
    main["allOf"][0]["if"]["properties"]["colour"]["const"] = text
    hostile = compile_document(document)
    answers = {"main": {"colour": text, "extra": "shown"}}
    html = render(section_form(hostile, "main", answers))
    assert "<script>" not in html and "<img" not in html
    posted = section_form(hostile, "main", answers, post_data(html))
    assert answers_from_form(posted)["colour"] == text
    assert answers_from_form(posted)["extra"] == "shown"
