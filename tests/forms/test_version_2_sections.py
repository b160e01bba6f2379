"""Joint assessment version 2's section forms: a fall dated after the assessment is refused
at its own date field, with a message naming the assessment date."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessment_engine.forms import read_section, section_form
from assessment_engine.questionnaires.catalogue import Catalogue

from .conftest import post_data, render

pytestmark = pytest.mark.usefixtures("request_context")
EXAMPLES = Path(__file__).resolve().parents[2] / "form_schemas" / "joint-assessment" / "examples"


def test_a_fall_after_the_assessment_date_is_refused_at_its_field(catalogue: Catalogue) -> None:
    joint = catalogue.get("joint-assessment", 2)
    answers = json.loads((EXAMPLES / "falls-and-nursing-tasks.json").read_text("utf-8"))
    data = post_data(render(section_form(joint, "falls", answers)))
    data.setlist("falls-falls_events-0-date", ["22", "7", "2025"])  # assessed on 21 July 2025
    result = read_section(joint, "falls", answers, data, complete=True)
    message = "Must be on or before the \u2018Date of this assessment\u2019 (21 July 2025)"
    assert result.errors == {"/falls/falls_events/0/date": [message]}
    page = render(result.form)
    shown = "\u2018When did the fall happen?\u2019 in fall 1 m" + message[1:]
    assert shown in page and 'id="falls-falls_events-0-date-error"' in page
    data.setlist("falls-falls_events-0-date", ["21", "7", "2025"])  # the same day is fine
    assert read_section(joint, "falls", answers, data, complete=True).errors == {}


def test_version_1_still_accepts_it_as_it_was_published(catalogue: Catalogue) -> None:
    joint = catalogue.get("joint-assessment", 1)
    answers = json.loads((EXAMPLES / "falls-and-nursing-tasks.json").read_text("utf-8"))
    data = post_data(render(section_form(joint, "falls", answers)))
    data.setlist("falls-falls_events-0-date", ["22", "7", "2025"])
    assert read_section(joint, "falls", answers, data, complete=True).errors == {}
