"""The FHIR import, without the database: follow-up items under a question and codings matched
by system and code, on the conformance material's own files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assessment_engine.questionnaires.fhir import answers_from_response, import_questionnaire
from assessment_engine.questionnaires.runtime import registry_of
from assessment_engine.questionnaires.structure import Structure, build_structure

CONFORMANCE = Path(__file__).resolve().parents[1] / "data" / "conformance"


def _structure(name: str) -> Structure:
    source = json.loads((CONFORMANCE / "fhir-outside" / name).read_text("utf-8"))
    imported = import_questionnaire(source, key="imported", version=1)
    assert imported.document is not None
    structure, problems = build_structure(imported.document, registry_of([imported.document]))
    assert structure is not None, problems
    return structure


def _answers(structure: Structure, items: list[dict[str, Any]]) -> tuple[Any, list[Any]]:
    found = answers_from_response(
        structure, {"resourceType": "QuestionnaireResponse", "item": items}
    )
    return found.answers, [(n.link_id, n.message) for n in found.notes if n.link_id]


def test_items_under_a_question_are_a_follow_up_group_shown_once_it_is_answered() -> None:
    structure = _structure("lforms-q-items-under-repeating-choice-item.json")
    choice = structure.questions["/questions/choice"]
    follow_up = structure.questions["/questions/choice_follow_up"]
    assert follow_up.type.is_container and [c.link_id for c in follow_up.children][:2] == [
        "/choice/st",
        "/choice/group",
    ]
    assert [clause.keyword for c in follow_up.conditions for clause in c.clauses] == ["answered"]
    assert choice.link_id == "/choice"
    # A response's items under the answer are read into the follow-up group.
    items = [
        {
            "linkId": "/choice",
            "answer": [
                {
                    "valueCoding": {"code": "C1"},
                    "item": [{"linkId": "/choice/st", "answer": [{"valueString": "more"}]}],
                }
            ],
        }
    ]
    answers, notes = _answers(structure, items)
    assert notes == []
    assert answers == {"questions": {"choice": ["C1"], "choice_follow_up": {"st": "more"}}}


def test_codings_are_matched_by_system_and_code() -> None:
    structure = _structure("lforms-q-with-contained-valueset-with-itemWeight.json")
    question = structure.questions["/questions/link_1/link_1_1/link_1_1_1"]
    assert [(o.system, o.code, o.score) for o in question.options][:2] == [
        ("some-system-1", "some-code-1", 1),
        ("some-system-2", "some-code-1", 10),
    ]

    def send(coding: dict[str, str]) -> tuple[Any, list[Any]]:
        return _answers(structure, [{"linkId": "link-1.1.1", "answer": [{"valueCoding": coding}]}])

    answers, notes = send({"system": "some-system-2", "code": "some-code-1"})
    assert notes == []
    assert answers["questions"]["link_1"]["link_1_1"]["link_1_1_1"] == "some-system-2|some-code-1"
    _, notes = send({"system": "elsewhere", "code": "some-code-1"})
    assert "not in this question's code system" in notes[0][1]
    _, notes = send({"code": "some-code-1"})
    assert "more than one system" in notes[0][1]


def test_a_coding_from_another_system_is_refused_even_where_options_have_none() -> None:
    structure = _structure("lforms-q-with-nested-enableWhen.json")

    def send(coding: dict[str, str]) -> tuple[Any, list[Any]]:
        return _answers(structure, [{"linkId": "p1", "answer": [{"valueCoding": coding}]}])

    answers, notes = send({"code": "YES"})
    assert notes == [] and answers == {"questions": {"p1": "YES"}}
    _, notes = send({"system": "http://loinc.org", "code": "YES"})
    assert notes and "not in this question's code system" in notes[0][1]
