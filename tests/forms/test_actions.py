"""Adding and removing repeat items with plain submit buttons (no JavaScript)."""

from __future__ import annotations

from typing import Any

import pytest

from assessment_engine.forms import (
    answers_from_form,
    apply_action,
    parse_action,
    read_section,
    section_form,
)
from assessment_engine.forms.actions import Action
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire

from .conftest import element_ids, post_data, render

pytestmark = pytest.mark.usefixtures("request_context")

MEDICINES = {
    "health": {
        "gp_practice": "Crieff Medical Centre",
        "medicines": [{"name": "Insulin", "dose": "24 units"}, {"name": "Metformin"}],
    }
}


def _press(form_html: str, value: str, joint: CompiledQuestionnaire, answers: Any) -> Any:
    assert f'value="{value}"' in form_html, "the page has no such button"
    return read_section(joint, "health", answers, post_data(form_html, ("action", value)))


def test_add_keeps_everything_typed_and_adds_an_empty_item(joint: CompiledQuestionnaire) -> None:
    html = render(section_form(joint, "health", MEDICINES))
    html = html.replace('value="Crieff Medical Centre"', 'value="Typed but not saved"')
    result = _press(html, "add:/health/medicines", joint, MEDICINES)
    assert result.action == Action("add", "/health/medicines")
    assert result.errors == {}
    page = render(result.form)
    assert "health-medicines-2-name" in element_ids(page)
    assert "Medicine 3" in page and "Remove medicine 3" in page
    assert answers_from_form(result.form) == {
        "gp_practice": "Typed but not saved",
        "medicines": [{"name": "Insulin", "dose": "24 units"}, {"name": "Metformin"}, {}],
    }


def test_remove_renumbers_the_items_left(joint: CompiledQuestionnaire) -> None:
    html = render(section_form(joint, "health", MEDICINES))
    result = _press(html, "remove:/health/medicines/0", joint, MEDICINES)
    assert answers_from_form(result.form)["medicines"] == [{"name": "Metformin"}]
    page = render(result.form)
    assert 'id="health-medicines-0-name"' in page and 'value="Metformin"' in page
    assert "health-medicines-1-name" not in page


def test_removing_the_last_item_answers_none_but_an_untouched_list_stays_unanswered(
    joint: CompiledQuestionnaire,
) -> None:
    one = {"health": {"medicines": [{"name": "Insulin"}]}}
    result = _press(
        render(section_form(joint, "health", one)), "remove:/health/medicines/0", joint, one
    )
    assert answers_from_form(result.form)["medicines"] == []
    # ... and saving that page keeps the empty list
    saved = read_section(joint, "health", one, post_data(render(result.form), ("action", "save")))
    assert saved.answers["health"]["medicines"] == []
    untouched = read_section(
        joint, "health", {}, post_data(render(section_form(joint, "health", {})))
    )
    assert "medicines" not in untouched.answers["health"]


def test_an_item_with_only_radios_survives_a_save(joint: CompiledQuestionnaire) -> None:
    answers = {"falls": {"fallen": True}}
    added = _press_section(joint, "falls", answers, "add:/falls/falls_events")
    data = post_data(render(added.form), ("action", "save"))
    data["falls-falls_events-0-injured"] = "false"
    saved = read_section(joint, "falls", answers, data)
    assert saved.ok, saved.errors
    assert saved.answers["falls"]["falls_events"] == [{"injured": False}]


def _press_section(joint: CompiledQuestionnaire, section: str, answers: Any, value: str) -> Any:
    html = render(section_form(joint, section, answers))
    return read_section(joint, section, answers, post_data(html, ("action", value)))


def test_no_add_button_once_the_list_is_full(joint: CompiledQuestionnaire) -> None:
    answers = {"falls": {"fallen": True, "falls_events": [{"injured": False}] * 10}}
    html = render(section_form(joint, "falls", answers))
    assert "add:/falls/falls_events" not in html
    forced = apply_action(joint, "falls", answers, post_data(html), "add:/falls/falls_events")
    assert forced is not None
    assert len(answers_from_form(forced)["falls_events"]) == 10


@pytest.mark.parametrize(
    "value",
    [
        "save",
        "",
        "add:/health/gp_practice",
        "remove:/health/medicines/x",
        "add:/falls/falls_events",
        "remove:/health",
        "delete:/health/medicines/0",
        "add:health/medicines",
    ],
)
def test_tampered_or_foreign_actions_are_not_applied(
    joint: CompiledQuestionnaire, value: str
) -> None:
    html = render(section_form(joint, "health", MEDICINES))
    assert apply_action(joint, "health", MEDICINES, post_data(html), value) is None
    result = read_section(joint, "health", MEDICINES, post_data(html, ("action", value)))
    assert result.answers["health"]["medicines"] == MEDICINES["health"]["medicines"]


def test_parse_action() -> None:
    assert parse_action("add:/a/b") == Action("add", "/a/b")
    assert parse_action("remove:/a/b/3") == Action("remove", "/a/b/3")
    assert parse_action("save") is None
    assert parse_action(None) is None


def test_enter_key_saves_rather_than_removing(joint: CompiledQuestionnaire) -> None:
    html = render(section_form(joint, "health", MEDICINES))
    first_button = html.index("<button")
    assert html[first_button:].startswith('<button type="submit" name="action" value="save"')
