"""The question editor's pure edits on the joint assessment's JSON: each writes the schema the
renderer reads, and a question's new pointer is followed by rules, cases and date limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessment_engine.questionnaires import editing
from assessment_engine.questionnaires.checks import DraftTexts
from assessment_engine.questionnaires.editing import (
    Draft,
    EditRefused,
    OptionEdit,
    QuestionEdit,
    ShowWhen,
)
from assessment_engine.questionnaires.structure import QuestionType, build_structure

FOLDER = Path(__file__).resolve().parents[2] / "form_schemas" / "joint-assessment"


@pytest.fixture(scope="module")
def texts() -> DraftTexts:
    return DraftTexts(
        (FOLDER / "v3.json").read_text(),
        (FOLDER / "v3.rules.json").read_text(),
        (FOLDER / "v3.cases.json").read_text(),
    )


@pytest.fixture
def draft(texts: DraftTexts) -> Draft:
    return Draft.parse(texts)


def test_editable_types_come_from_the_question_types() -> None:
    offered = {t.type for t in editing.editable_types()}
    assert QuestionType.SCORED in offered and QuestionType.DATE in offered
    assert QuestionType.SECTION not in offered and QuestionType.REPEATING_GROUP not in offered
    scored = editing.editable_type("scored")
    assert scored is not None and scored.options


def test_a_scored_question_shown_when_another_is_answered(draft: Draft) -> None:
    edit = QuestionEdit(
        name="fall_injury",
        type=QuestionType.SCORED,
        title="Was the person hurt?",
        hint="Think of the last fall",
        description="Any injury counts",
        required=True,
        options=(OptionEdit("No", "no", 0), OptionEdit("Yes, badly", "badly", 2)),
        show_when=ShowWhen("fallen", True),
    )
    after = editing.save_question(draft, "falls", None, edit)
    falls = after.document["properties"]["falls"]
    assert falls["properties"]["fall_injury"] == {
        "title": "Was the person hurt?",
        "description": "Any injury counts",
        "x-hint": "Think of the last fall",
        "type": "string",
        "oneOf": [
            {"const": "no", "title": "No", "x-score": 0},
            {"const": "badly", "title": "Yes, badly", "x-score": 2},
        ],
    }
    # joined to the existing "fallen is true" condition, required only when shown
    assert "fall_injury" in falls["allOf"][0]["then"]["required"]
    assert "fall_injury" not in falls["required"]
    structure, problems = build_structure(after.document, _registry(after))
    assert structure is not None
    question = structure.questions["/falls/fall_injury"]
    assert question.type is QuestionType.SCORED and question.conditional
    assert question.scores == {"no": 0, "badly": 2}
    assert not [p for p in problems if "fall_injury" in p.pointer]
    # read back as the form shows it
    assert editing.read_question(after.document, "falls", "fall_injury") == edit
    assert draft.document["properties"]["falls"]["properties"].get("fall_injury") is None


def _registry(draft: Draft):  # type: ignore[no-untyped-def]
    from referencing import Registry

    from assessment_engine.questionnaires.documents import build_registry

    others = [
        json.loads((FOLDER.parent / "phq-9" / "v2.json").read_text()),
        json.loads((FOLDER.parent / "gad-7" / "v2.json").read_text()),
    ]
    return build_registry([*others, draft.document], base=Registry())


def test_editing_an_option_keeps_what_the_form_does_not_show(draft: Draft) -> None:
    read = editing.read_question(draft.document, "falls", "fear_of_falling")
    options = tuple(
        OptionEdit(o.label.upper() if i == 0 else o.label, o.code, o.score)
        for i, o in enumerate(read.options)
    )
    after = editing.save_question(
        draft, "falls", "fear_of_falling", QuestionEdit(**{**read.__dict__, "options": options})
    )
    node = after.document["properties"]["falls"]["properties"]["fear_of_falling"]
    before = draft.document["properties"]["falls"]["properties"]["fear_of_falling"]
    assert node["oneOf"][0]["title"] == before["oneOf"][0]["title"].upper()
    assert {k: v for k, v in node.items() if k != "oneOf"} == {
        k: v for k, v in before.items() if k != "oneOf"
    }
    assert "fear_of_falling" in after.document["properties"]["falls"]["required"]


def test_moving_a_question_a_rule_uses_rewrites_the_rule_and_the_cases(
    draft: Draft, texts: DraftTexts
) -> None:
    pointer = "/personal_care/help_at_night"
    assert pointer in texts.rules
    after = editing.relocate(draft, "personal_care", "help_at_night", "daily_living", "at_night")
    rules = json.dumps(after.rules)
    assert pointer not in rules and "/daily_living/at_night" in rules
    assert "at_night" in after.document["properties"]["daily_living"]["properties"]
    assert "help_at_night" not in after.document["properties"]["personal_care"]["properties"]
    moved = [
        c["given"]["daily_living"]["at_night"]
        for c in after.cases["cases"]
        if "at_night" in c["given"].get("daily_living", {})
    ]
    before = [
        c["given"]["personal_care"]["help_at_night"]
        for c in draft.cases["cases"]
        if "help_at_night" in c["given"].get("personal_care", {})
    ]
    assert moved == before and moved
    # the saved texts: only the changed parts are rewritten
    new_texts = after.texts(texts)
    assert new_texts.rules != texts.rules and json.loads(new_texts.rules) == after.rules


def test_renaming_follows_conditions_and_date_limits(draft: Draft) -> None:
    after = editing.relocate(draft, "about", "assessment_date", "about", "seen_on")
    limits = json.dumps(after.document)
    assert "/about/assessment_date" not in limits and '"x-not-after": "/about/seen_on"' in limits
    renamed = editing.relocate(draft, "falls", "fallen", "falls", "has_fallen")
    falls = renamed.document["properties"]["falls"]
    assert falls["allOf"][0]["if"] == {
        "properties": {"has_fallen": {"const": True}},
        "required": ["has_fallen"],
    }
    assert "has_fallen" in falls["required"]


def test_moving_out_of_its_section_what_a_condition_tests_is_refused(draft: Draft) -> None:
    with pytest.raises(EditRefused) as refused:
        editing.relocate(draft, "falls", "fallen", "health", "fallen")
    assert any("condition" in reason for reason in refused.value.reasons)


def test_deleting_what_a_rule_uses_is_refused_with_the_list(draft: Draft) -> None:
    with pytest.raises(EditRefused) as refused:
        editing.delete_question(draft, "personal_care", "help_at_night")
    assert any("rule" in reason for reason in refused.value.reasons)
    after = editing.delete_question(draft, "falls", "own_words")
    assert "own_words" not in after.document["properties"]["falls"]["properties"]


def test_move_duplicate_and_sections(draft: Draft, texts: DraftTexts) -> None:
    names = list(draft.document["properties"]["falls"]["properties"])
    moved = editing.move_question(draft, "falls", names[1], -1)
    assert list(moved.document["properties"]["falls"]["properties"])[:2] == [names[1], names[0]]
    # the saved text says the new order (the parsed values are equal dicts)
    saved = json.loads(moved.texts(texts).document)["properties"]["falls"]["properties"]
    assert list(saved)[:2] == [names[1], names[0]]
    copied, name = editing.duplicate_question(draft, "falls", "own_words")
    listed = list(copied.document["properties"]["falls"]["properties"])
    assert name == "own_words_copy" and listed[listed.index("own_words") + 1] == name
    added = editing.save_section(draft, None, "travel", "Travel", "")
    assert list(added.document["properties"])[-1] == "travel"
    with pytest.raises(EditRefused):
        editing.save_section(draft, None, "falls", "Again", "")
    with pytest.raises(EditRefused):
        editing.delete_section(draft, "mood")  # rules use PHQ-9 and GAD-7 items
    sections = list(draft.document["properties"])
    up = editing.move_section(draft, sections[1], -1)
    assert list(up.document["properties"])[:2] == [sections[1], sections[0]]


def test_questions_reached_through_ref_are_read_only(draft: Draft) -> None:
    mood = next(s for s in editing.outline(draft.document) if s.name == "mood")
    phq9 = next(q for q in mood.questions if q.name == "phq9")
    assert phq9.ref.endswith("phq-9/v2.json") or "phq-9" in phq9.ref
    with pytest.raises(EditRefused):
        editing.read_question(draft.document, "mood", "phq9")


def test_a_refused_edit_names_its_field(draft: Draft) -> None:
    with pytest.raises(EditRefused) as refused:
        editing.save_question(
            draft,
            "falls",
            None,
            QuestionEdit(name="Bad Name", type=QuestionType.SHORT_TEXT, title="x"),
        )
    assert refused.value.errors.keys() == {"name"}
    with pytest.raises(EditRefused) as refused:
        editing.save_question(
            draft,
            "falls",
            None,
            QuestionEdit(name="new_q", type=QuestionType.SCORED, title="x"),
        )
    assert refused.value.errors.keys() == {"options"}


def test_a_question_that_repeats_keeps_its_inner_questions(draft: Draft) -> None:
    read = editing.read_question(draft.document, "health", "medicines")
    assert read.type is QuestionType.REPEATING_GROUP and read.item_label == "medicine"
    changed = QuestionEdit(**{**read.__dict__, "item_label": "tablet", "max_length": 12})
    after = editing.save_question(draft, "health", "medicines", changed)
    node = after.document["properties"]["health"]["properties"]["medicines"]
    before = draft.document["properties"]["health"]["properties"]["medicines"]
    assert node["items"] == before["items"]
    assert node["x-item-label"] == "tablet" and node["maxItems"] == 12
    assert editing.read_question(after.document, "health", "medicines") == changed


def test_the_editors_own_words_are_not_names(draft: Draft) -> None:
    with pytest.raises(EditRefused):
        editing.save_question(
            draft, "falls", None, QuestionEdit(name="new", type=QuestionType.YES_NO, title="x")
        )
    with pytest.raises(EditRefused):
        editing.save_section(draft, None, "new", "New", "")
