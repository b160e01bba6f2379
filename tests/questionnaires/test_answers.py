"""Answers: what is shown, pruning hidden answers, draft and complete validation, totals."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assessment_engine.questionnaires.catalogue import Catalogue, load_directory
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire

FORM_SCHEMAS = Path(__file__).resolve().parents[2] / "form_schemas"


def example(name: str) -> dict[str, Any]:
    path = FORM_SCHEMAS / "joint-assessment" / "examples" / f"{name}.json"
    return json.loads(path.read_text("utf-8"))


def test_falls_details_are_shown_only_after_a_fall(joint: CompiledQuestionnaire) -> None:
    assert "/falls/falls_count" not in joint.visible_pointers({"falls": {"fallen": False}})
    assert "/falls/falls_count" not in joint.visible_pointers({})
    shown = joint.visible_pointers({"falls": {"fallen": True, "falls_events": [{}, {}]}})
    assert {"/falls/falls_count", "/falls/falls_events", "/falls/falls_events/1/date"} <= shown


def test_prune_drops_answers_to_hidden_questions(joint: CompiledQuestionnaire) -> None:
    answers = example("carer-under-strain")
    answers["carer"]["has_unpaid_carer"] = False
    answers["falls"].update(falls_count=4, falls_events=[{"date": "2025-01-01"}])
    pruned = joint.prune(answers)
    assert pruned["carer"] == {"has_unpaid_carer": False}
    assert "falls_count" not in pruned["falls"] and "falls_events" not in pruned["falls"]
    assert answers["carer"]["strain"]["sleep"] == 3, "the input is not changed"
    assert joint.validate(pruned, complete=True) == {}


def test_prune_works_inside_repeating_groups_and_on_dependencies(
    joint: CompiledQuestionnaire,
) -> None:
    answers = {
        "health": {
            "conditions": [
                {"condition": "asthma", "other_condition": "left over"},
                {"condition": "other", "other_condition": "Gout"},
            ]
        },
        "consent": {"sharing_limits_explained": True},
        "memory": {"legal_powers": ["not_known"], "legal_powers_contact": "x"},
    }
    pruned = joint.prune(answers)
    assert pruned["health"]["conditions"] == [
        {"condition": "asthma"},
        {"condition": "other", "other_condition": "Gout"},
    ]
    assert pruned["consent"] == {}
    assert pruned["memory"] == {"legal_powers": ["not_known"]}


def test_prune_drops_calculated_values_and_keeps_unknown_answers(
    joint: CompiledQuestionnaire,
) -> None:
    answers = {"mood": {"phq9": {"item1": 1, "total": 99}}, "surprise": 1}
    pruned = joint.prune(answers)
    assert pruned == {"mood": {"phq9": {"item1": 1}}, "surprise": 1}
    assert joint.validate(pruned, complete=False) == {
        "/surprise": ["This is not a question in this questionnaire"]
    }


def test_a_draft_never_fails_for_missing_answers(joint: CompiledQuestionnaire) -> None:
    assert joint.validate({}, complete=False) == {}
    assert joint.validate({"falls": {"fallen": True}}, complete=False) == {}
    errors = joint.validate({}, complete=True)
    assert errors["/about"] == [
        "Complete the section \u2018About the person and what matters to them\u2019"
    ]
    assert len(errors) == 12


def test_submission_requires_conditionally_required_answers(joint: CompiledQuestionnaire) -> None:
    answers = example("frail-older-person-living-alone")
    del answers["falls"]["falls_count"]
    answers["carer"] = {"has_unpaid_carer": True}
    answers["consent"]["sharing_exceptions"] = "Not my son"
    errors = joint.validate(answers, complete=True)
    assert errors["/falls/falls_count"] == ["Enter a number"]
    assert errors["/carer/strain"] == ["Answer these questions"]
    assert errors["/carer/relationship"] == ["Select an answer"]
    assert errors["/consent/sharing_limits_explained"] == ["Select an answer"]
    assert joint.validate(answers, complete=False) == {}


def test_wrong_answers_are_rejected_at_their_field(joint: CompiledQuestionnaire) -> None:
    answers = {
        "mood": {"phq9": {"item9": 4, "item1": "2"}},
        "falls": {"fallen": "yes", "falls_count": 0},
        "about": {
            "assessment_date": "2025-02-30",
            "communication_needs": ["sight", "sight"],
            "preferred_name": "x" * 201,
        },
        "health": {
            "medicines": [{"name": "A"}, {"dose": "1", "colour": "red"}],
            "weight_kg": "heavy",
        },
        "consent": {"sharing_guidance": "I read it"},
    }
    errors = joint.validate(answers, complete=False)
    assert errors == {
        "/about/assessment_date": ["Enter a real date, for example 2025-03-27"],
        "/about/preferred_name": ["Must be 200 characters or fewer"],
        "/about/communication_needs": ["Select each option only once"],
        "/consent/sharing_guidance": ["This is guidance and takes no answer"],
        "/health/medicines/1/colour": ["This is not a question in this questionnaire"],
        "/health/weight_kg": ["Enter a number"],
        "/falls/fallen": ["Select yes or no"],
        "/falls/falls_count": ["Must be 1 or more"],
        "/mood/phq9/item1": ["Enter a whole number", "Select one of the options"],
        "/mood/phq9/item9": ["Select one of the options"],
    }
    complete = joint.validate(answers, complete=True)
    assert complete["/health/medicines/1/name"] == ["Enter an answer"]
    assert list(errors) == [k for k in complete if k in errors], "errors follow question order"


def test_booleans_are_not_numbers_and_numbers_are_not_booleans(
    joint: CompiledQuestionnaire,
) -> None:
    errors = joint.validate(
        {"mood": {"phq9": {"item1": True}}, "falls": {"fallen": 1}}, complete=False
    )
    assert set(errors) == {"/mood/phq9/item1", "/falls/fallen"}


def test_not_an_object_at_all(joint: CompiledQuestionnaire) -> None:
    assert joint.validate([], complete=False) == {"": ["Answer the questions in this group"]}


def test_phq9_total_is_shown_back_when_every_item_is_answered(
    joint: CompiledQuestionnaire,
) -> None:
    answers = example("depression-with-self-harm-thoughts")
    values = joint.calculated_values(answers)
    assert values["/mood/phq9/total"] == 21
    assert values["/mood/gad7/total"] == 12
    assert "/carer/strain/total" not in values
    shown = joint.with_calculated(answers)
    assert shown["mood"]["phq9"]["total"] == 21
    assert "total" not in answers["mood"]["phq9"]
    assert joint.validate(shown, complete=True) == {}
    partial = copy.deepcopy(answers)
    del partial["mood"]["phq9"]["item4"]
    assert "/mood/phq9/total" not in joint.calculated_values(partial)
    strain = joint.calculated_values(example("carer-under-strain"))
    assert strain["/carer/strain/total"] == 13


def test_standalone_phq9_pointers_and_total(catalogue: Catalogue) -> None:
    phq9 = catalogue.get("phq-9", 1)
    answers = {"phq9": {f"item{n}": 1 for n in range(1, 10)}}
    assert phq9.validate(answers, complete=True) == {}
    assert phq9.calculated_values(answers) == {"/phq9/total": 9}
    assert phq9.items["/phq9/item9"].scores == {0: 0, 1: 1, 2: 2, 3: 3}


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_markup_in_titles_and_options_is_kept_as_plain_data(
    schema_dir: Callable[..., Path], minimal_document: Callable[..., dict[str, Any]], payload: str
) -> None:
    document = minimal_document()
    document["title"] = payload
    about = document["properties"]["about"]
    about["title"] = payload
    about["properties"]["name"]["x-hint"] = payload
    about["properties"]["pick"] = {
        "type": "string",
        "title": payload,
        "oneOf": [{"const": payload, "title": payload}, {"const": "b", "title": "B"}],
    }
    catalogue = load_directory(schema_dir({"tiny/v1.json": document}))
    assert catalogue.problems == ()
    compiled = catalogue.get("tiny", 1)
    structure = compiled.structure
    assert structure.title == payload
    assert structure.sections[0].title == payload
    assert structure.question("/about/name").hint == payload  # type: ignore[union-attr]
    pick = structure.question("/about/pick")
    assert pick is not None and pick.title == payload
    assert pick.options[0].value == payload and pick.options[0].label == payload
    assert compiled.validate({"about": {"name": "A", "pick": payload}}, complete=True) == {}
    assert compiled.items["/about/pick"].labels == {payload: payload, "b": "B"}


def test_a_structure_is_immutable(joint: CompiledQuestionnaire) -> None:
    question = joint.structure.question("/falls/fallen")
    assert question is not None
    with pytest.raises(AttributeError):
        question.title = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        joint.structure.questions["/x"] = question  # type: ignore[index]


def test_template_pointers_map_repeat_indices(joint: CompiledQuestionnaire) -> None:
    structure = joint.structure
    assert structure.template_pointer("/health/medicines/12/name") == "/health/medicines/*/name"
    assert structure.question("/summary/risks/0/level").type.value == "scored"  # type: ignore[union-attr]
    assert structure.question("/nowhere/3") is None


def test_conditions_describe_themselves_for_the_page_script(joint: CompiledQuestionnaire) -> None:
    (condition,) = joint.structure.question("/memory/legal_powers_contact").conditions  # type: ignore[union-attr]
    (clause,) = condition.clauses
    assert clause.subject == "/memory/legal_powers"
    assert clause.keyword == "contains"
    assert condition.holds({"legal_powers": ["guardianship"]})
    assert not condition.holds({"legal_powers": ["not_known"]})
    assert not condition.holds({})
