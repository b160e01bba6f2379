"""Answers -> form -> rendered page -> what a browser posts -> answers gives the same answers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from assessment_engine.forms import answers_from_form, section_form
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire
from assessment_engine.questionnaires.structure import Question, QuestionType

from .conftest import EXAMPLES, element_ids, post_data, render

pytestmark = pytest.mark.usefixtures("request_context")


def _round_trip(questionnaire: CompiledQuestionnaire, section: str, answers: dict[str, Any]) -> Any:
    html = render(section_form(questionnaire, section, answers))
    posted = section_form(questionnaire, section, answers, post_data(html))
    assert posted.answer_errors == {}
    return answers_from_form(posted)


def in_option_order(question: Question, answers: Any) -> Any:
    """``answers`` with every multiple choice listed in its options' order, as checkboxes post
    them (a multiple choice is a set: the order it was saved in carries no meaning)."""
    if not isinstance(answers, dict):
        return answers
    result = dict(answers)
    for child in question.children:
        value = result.get(child.name)
        if child.type is QuestionType.MULTIPLE_CHOICE and isinstance(value, list):
            order = [option.value for option in child.options]
            result[child.name] = sorted(value, key=order.index)
        elif child.type is QuestionType.GROUP and child.name in result:
            result[child.name] = in_option_order(child, value)
        elif child.type is QuestionType.REPEATING_GROUP and isinstance(value, list):
            result[child.name] = [in_option_order(child, item) for item in value]
    return result


@pytest.mark.parametrize("example", [path.stem for path in EXAMPLES])
def test_every_section_of_every_example_round_trips(
    joint: CompiledQuestionnaire, examples: dict[str, Any], example: str
) -> None:
    answers = joint.prune(examples[example])
    for section in joint.structure.sections:
        expected = in_option_order(section, answers.get(section.name, {}))
        assert _round_trip(joint, section.name, answers) == expected, section.name


def test_every_section_renders_with_unique_ids_and_labels_for_inputs(
    joint: CompiledQuestionnaire,
) -> None:
    for section in joint.structure.sections:
        html = render(section_form(joint, section.name, {}))
        ids = element_ids(html)
        assert len(ids) == len(set(ids)), section.name
        for target in re.findall(r'for="([^"]+)"', html):
            assert target in ids, (section.name, target)


SINK_ANSWERS: dict[str, Any] = {
    "name": "Ann O\u2019Neil <b>",
    "story": "Line one\nLine two",
    "notes": "Plain",
    "count": 0,
    "weight": 62.5,
    "born": "1985-04-19",
    "agrees": False,
    "colour": "red",
    "extra": "It is bright",
    "city": "dundee",
    "level": 2,
    "pets": ["dog", "cat"],
    "scale": {"a": 3, "b": 0},
    "things": [
        {"what": "Box", "kind": "other", "other_kind": "Odd", "when": "2024-02-29"},
        {"what": "Bag"},
        {},
    ],
}


@pytest.mark.parametrize(
    "answers",
    [
        SINK_ANSWERS,
        {},
        {"pets": [], "things": []},
        {"agrees": True, "weight": 70.0, "count": 100, "level": 0, "pets": ["cat"]},
        {"weight": 1e-05 + 1, "scale": {"a": 0}},
    ],
    ids=["everything", "nothing", "empty-lists", "other-values", "partial"],
)
def test_every_question_type_round_trips(sink: CompiledQuestionnaire, answers: Any) -> None:
    assert sink.validate({"main": answers}, complete=False) == {}
    expected = in_option_order(sink.structure.sections[0], answers)
    assert _round_trip(sink, "main", {"main": answers}) == expected
