"""The bundled questionnaires load, pass every check, and give scoring what it needs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assessment_engine.questionnaires.catalogue import Catalogue
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire
from assessment_engine.questionnaires.structure import QuestionType
from assessment_engine.scoring.items import ItemSpec

SchemaDir = Callable[..., Path]
FORM_SCHEMAS = Path(__file__).resolve().parents[2] / "form_schemas"

PHQ9_ITEMS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself",
    "Trouble concentrating on things",
    "Moving or speaking so slowly that other people could have noticed",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
]
GAD7_ITEMS = [
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
]
STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
ANSWERS = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
]


def examples(key: str, pattern: str = "*.json") -> list[Path]:
    return sorted((FORM_SCHEMAS / key / "examples").glob(pattern))


ALL_EXAMPLES = [
    pytest.param(key, path, id=f"{key}/{path.name}")
    for key in ("phq-9", "gad-7", "joint-assessment")
    for path in examples(key)
]


def test_every_bundled_document_loads_with_no_problems(catalogue: Catalogue) -> None:
    assert [str(problem) for problem in catalogue.problems] == []
    assert list(catalogue) == [
        ("gad-7", 1),
        ("gad-7", 2),
        ("joint-assessment", 1),
        ("joint-assessment", 2),
        ("joint-assessment", 3),
        ("phq-9", 1),
        ("phq-9", 2),
    ]


def test_the_extension_meta_schema_is_itself_valid_2020_12(catalogue: Catalogue) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(dict(catalogue.extensions))
    assert catalogue.extensions["$id"].endswith("/_meta/extensions.json")


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(("key", "path"), ALL_EXAMPLES)
def test_every_example_is_a_complete_valid_answer_set(
    catalogue: Catalogue, key: str, path: Path, version: int
) -> None:
    questionnaire = catalogue.get(key, version)
    answers = json.loads(path.read_text("utf-8"))
    assert questionnaire.validate(answers, complete=True) == {}
    assert questionnaire.prune(answers) == answers, "examples hold no hidden answers"


def test_the_joint_assessment_has_the_examples_the_brief_asks_for() -> None:
    names = {path.stem for path in examples("joint-assessment")}
    assert {
        "frail-older-person-living-alone",
        "depression-with-self-harm-thoughts",
        "carer-under-strain",
        "loneliness-and-daily-living-only",
        "falls-and-nursing-tasks",
    } <= names


def test_a_draft_example_is_valid_as_a_draft_but_not_for_submission(
    joint: CompiledQuestionnaire,
) -> None:
    (draft,) = examples("joint-assessment", "drafts/*.json")
    answers = json.loads(draft.read_text("utf-8"))
    assert joint.validate(answers, complete=False) == {}
    errors = joint.validate(answers, complete=True)
    assert "/consent" in errors
    assert "/falls/falls_count" in errors  # shown because the person has fallen


@pytest.mark.parametrize(
    ("key", "group", "items"), [("phq-9", "phq9", PHQ9_ITEMS), ("gad-7", "gad7", GAD7_ITEMS)]
)
def test_screening_tools_are_verbatim(
    catalogue: Catalogue, key: str, group: str, items: list[str]
) -> None:
    structure = catalogue.get(key, 1).structure
    (section,) = structure.sections
    assert section.pointer == f"/{group}"
    assert section.description == STEM
    questions = [q for q in section.children if q.type is QuestionType.SCORED]
    assert [q.pointer for q in questions] == [f"/{group}/item{n}" for n in range(1, len(items) + 1)]
    for question, words in zip(questions, items, strict=True):
        assert question.title.startswith(words)
        assert [(o.value, o.label, o.score) for o in question.options] == [
            (v, label, v) for v, label in ANSWERS
        ]
        assert question.required


def test_joint_reuses_phq9_and_gad7_by_reference_not_by_copy(
    joint: CompiledQuestionnaire,
) -> None:
    text = (FORM_SCHEMAS / "joint-assessment" / "v1.json").read_text("utf-8")
    for words in [*PHQ9_ITEMS, *GAD7_ITEMS, STEM]:
        assert words not in text
    mood = joint.document["properties"]["mood"]["properties"]
    assert mood["phq9"] == {"$ref": "../phq-9/v1.json#/$defs/phq9"}
    assert mood["gad7"] == {"$ref": "../gad-7/v1.json#/$defs/gad7"}
    structure = joint.structure
    item9 = structure.question("/mood/phq9/item9")
    assert item9 is not None and item9.title == PHQ9_ITEMS[8]
    assert item9.schema_file == "phq-9/v1.json"
    assert item9.schema_pointer == "/$defs/phq9/properties/item9"
    assert structure.question("/mood/gad7/item7").title == GAD7_ITEMS[6]  # type: ignore[union-attr]


def test_joint_has_every_section_of_the_brief_in_order(joint: CompiledQuestionnaire) -> None:
    assert [(s.name, s.type) for s in joint.structure.sections] == [
        (name, QuestionType.SECTION)
        for name in (
            "about",
            "consent",
            "health",
            "falls",
            "personal_care",
            "daily_living",
            "mood",
            "memory",
            "carer",
            "home",
            "social",
            "summary",
        )
    ]


def test_joint_uses_every_question_type(joint: CompiledQuestionnaire) -> None:
    used = {question.type for question in joint.structure}
    assert used == set(QuestionType)


def test_joint_gives_the_routing_policy_its_inputs(joint: CompiledQuestionnaire) -> None:
    specs = joint.items
    for task in ("wound_care", "catheter_care", "injections", "stoma_care", "pressure_care"):
        spec = specs[f"/health/nursing_tasks/{task}"]
        assert spec.kind == "choice" and spec.scores is not None
        assert "cannot_manage" in spec.scores
    assert specs["/falls/falls_count"].kind == "integer"
    for activity in ("washing", "dressing", "toileting", "eating", "getting_up"):
        scores = specs[f"/personal_care/{activity}"].scores
        assert scores == {"independent": 0, "prompting": 1, "some_help": 2, "full_help": 3}
    for activity in ("meals", "shopping", "housework", "money", "transport"):
        assert specs[f"/daily_living/{activity}"].scores is not None
    assert specs["/carer/has_unpaid_carer"].kind == "boolean"
    assert specs["/carer/strain/total"].kind == "calculated"
    assert specs["/social/lonely"].scores == {"never": 0, "sometimes": 1, "often": 2}
    assert specs["/mood/phq9/item9"].scores == {0: 0, 1: 1, 2: 2, 3: 3}


def test_item_specs_cover_every_answerable_question(joint: CompiledQuestionnaire) -> None:
    specs = joint.items
    assert all(isinstance(spec, ItemSpec) for spec in specs.values())
    guidance = {q.pointer for q in joint.structure if q.type is QuestionType.GUIDANCE}
    assert set(specs) == {q.pointer for q in joint.structure} - guidance
    assert specs["/health/medicines"].kind == "repeat"
    assert specs["/health/medicines/*/name"].required
    assert specs["/about/communication_needs"].kind == "multichoice"
    assert specs["/about/what_matters"].kind == "text"
    assert specs["/about/assessment_date"].kind == "date"
    assert specs["/health/weight_kg"].kind == "number"
    assert specs["/about/main_language"].labels["gaelic"] == "Scottish Gaelic"  # type: ignore[index]


def test_person_own_words_are_kept_as_long_text(joint: CompiledQuestionnaire) -> None:
    own_words = [q for q in joint.structure if q.name in ("own_words", "what_matters")]
    assert len(own_words) >= 6
    assert all(q.type is QuestionType.LONG_TEXT for q in own_words)


def test_licensed_instruments_are_not_quoted() -> None:
    text = (FORM_SCHEMAS / "joint-assessment" / "v1.json").read_text("utf-8").lower()
    for phrase in (
        "barthel",
        "lawton",
        "zarit",
        "interrai",
        "edmonton",
        "clinical frailty",
        "do you feel that because of the time you spend with your relative",
    ):
        assert phrase not in text


def test_catalogue_reads_only_version_files(schema_dir: SchemaDir, catalogue: Catalogue) -> None:
    from assessment_engine.questionnaires.catalogue import load_directory

    root = schema_dir(
        {"phq-9/v1.rules.json": "not json at all", "phq-9/examples/x.json": "{"}, bundled=True
    )
    loaded = load_directory(root)
    assert loaded.problems == ()
    assert list(loaded) == list(catalogue)
