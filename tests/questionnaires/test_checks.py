"""Bad questionnaire documents are refused at load, naming the file, pointer and line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assessment_engine.questionnaires.catalogue import (
    Catalogue,
    load_directory,
    load_directory_strict,
)
from assessment_engine.questionnaires.documents import MAX_DOCUMENT_BYTES, check_text
from assessment_engine.questionnaires.problems import Problem, QuestionnaireError
from assessment_engine.questionnaires.source_map import line_of_pointer, pointer_lines

SchemaDir = Callable[..., Path]
Doc = Callable[..., dict[str, Any]]


def problems_for(schema_dir: Callable[..., Path], document: Any, **kwargs: Any) -> list[Problem]:
    root = schema_dir({"tiny/v1.json": document}, **kwargs)
    catalogue = load_directory(root)
    assert ("tiny", 1) not in catalogue.compiled
    return list(catalogue.problems)


def at(problems: list[Problem], pointer: str) -> list[Problem]:
    return [problem for problem in problems if problem.pointer == pointer]


def test_a_valid_minimal_document_loads(schema_dir: SchemaDir, minimal_document: Doc) -> None:
    catalogue = load_directory(schema_dir({"tiny/v1.json": minimal_document()}))
    assert catalogue.problems == ()
    assert catalogue.get("tiny", 1).title == "Tiny questionnaire"


def test_malformed_json_is_refused_with_file_and_line(schema_dir: SchemaDir) -> None:
    problems = problems_for(schema_dir, '{\n  "title": "x",\n  "type": "object"\n  "oops": 1\n}')
    (problem,) = problems
    assert problem.file == "tiny/v1.json"
    assert problem.check == "json"
    assert problem.line == 4
    assert "not valid JSON" in problem.message


def test_invalid_json_schema_is_refused_at_its_pointer(
    schema_dir: SchemaDir, minimal_document: Doc
) -> None:
    document = minimal_document()
    document["properties"]["about"]["properties"]["age"]["type"] = "whole number"
    document["properties"]["about"]["properties"]["age"]["minimum"] = "zero"
    problems = problems_for(schema_dir, document)
    meta = [p for p in problems if p.check == "meta-schema"]
    pointers = {p.pointer for p in meta}
    assert "/properties/about/properties/age/type" in pointers
    assert "/properties/about/properties/age/minimum" in pointers
    text = json.dumps(document, indent=2)
    line = next(p for p in meta if p.pointer.endswith("/minimum")).line
    assert line is not None and '"minimum"' in text.splitlines()[line - 1]


def test_unknown_or_ill_typed_extension_keywords_are_refused(
    schema_dir: SchemaDir,
    minimal_document: Doc,
) -> None:
    document = minimal_document()
    age = document["properties"]["about"]["properties"]["age"]
    age["x-hnit"] = "typo"
    age["x-suffix"] = 12
    problems = problems_for(schema_dir, document)
    ext = [p for p in problems if p.check == "extensions"]
    assert any(
        p.pointer.endswith("/age/x-hnit") and "not one of our extension" in p.message for p in ext
    )
    assert any(p.pointer.endswith("/age/x-suffix") for p in ext)


@pytest.mark.parametrize(
    ("change", "pointer", "words"),
    [
        ({"anyOf": [{"type": "integer"}]}, "/properties/about/properties/age/anyOf", "anyOf"),
        ({"type": ["integer", "string"]}, "/properties/about/properties/age/type", "several"),
        ({"type": "null"}, "/properties/about/properties/age/type", "null"),
        ({"x-widget": "slider"}, "/properties/about/properties/age/x-widget", "slider"),
        ({"x-widget": "textarea"}, "/properties/about/properties/age/x-widget", "cannot show"),
        (
            {"pattern": "^(a+)+$", "type": "string", "minimum": None},
            "/properties/about/properties/age/pattern",
            "exponential",
        ),
        (
            {"format": "email", "type": "string", "minimum": None},
            "/properties/about/properties/age/format",
            "only date",
        ),
        ({"x-score": 2}, "/properties/about/properties/age/x-score", "does not apply"),
        ({"title": None}, "/properties/about/properties/age/title", "needs a title"),
    ],
)
def test_unsupported_constructs_at_a_question_are_refused(
    schema_dir: SchemaDir,
    minimal_document: Doc,
    change: dict[str, Any],
    pointer: str,
    words: str,
) -> None:
    document = minimal_document()
    age = document["properties"]["about"]["properties"]["age"]
    for key, value in change.items():
        if value is None:
            age.pop(key, None)
        else:
            age[key] = value
    problems = at(problems_for(schema_dir, document), pointer)
    assert problems, f"nothing reported at {pointer}"
    assert any(words in p.message for p in problems)
    assert all(p.file == "tiny/v1.json" and p.line is not None for p in problems)


def test_catastrophic_regex_is_refused_with_its_line(
    schema_dir: SchemaDir, minimal_document: Doc
) -> None:
    document = minimal_document()
    document["properties"]["about"]["properties"]["name"]["pattern"] = "^([a-z]+\\s?)*$"
    problems = problems_for(schema_dir, document)
    (problem,) = [p for p in problems if p.pointer.endswith("/name/pattern")]
    text = json.dumps(document, indent=2)
    assert '"pattern"' in text.splitlines()[problem.line - 1]  # type: ignore[operator]
    assert problem.check == "renderer"


@pytest.mark.parametrize(
    ("section_change", "pointer"),
    [
        ({"patternProperties": {"^q": {"type": "string"}}}, "/properties/about/patternProperties"),
        ({"additionalProperties": True}, "/properties/about"),
        ({"unevaluatedProperties": False}, "/properties/about/unevaluatedProperties"),
        ({"required": ["name", "ghost"]}, "/properties/about/required"),
        (
            {
                "if": {"properties": {"ghost": {"const": 1}}, "required": ["ghost"]},
                "then": {"required": ["age"]},
            },
            "/properties/about/if/properties/ghost",
        ),
        (
            {
                "if": {"properties": {"age": {"pattern": "1"}}, "required": ["age"]},
                "then": {"required": ["name"]},
            },
            "/properties/about/if/properties/age/pattern",
        ),
        (
            {
                "if": {"properties": {"age": {"const": 1}}, "required": ["age"]},
                "then": {"properties": {"name": {"maxLength": 3}}},
            },
            "/properties/about/then/properties/name",
        ),
        ({"dependentRequired": {"age": ["ghost"]}}, "/properties/about/dependentRequired/age"),
    ],
)
def test_unsupported_constructs_at_a_section_are_refused(
    schema_dir: SchemaDir,
    minimal_document: Doc,
    section_change: dict[str, Any],
    pointer: str,
) -> None:
    problems = problems_for(schema_dir, minimal_document(**section_change))
    assert at(problems, pointer), [str(p) for p in problems]


def test_always_required_but_conditionally_shown_is_a_contradiction(
    schema_dir: SchemaDir,
    minimal_document: Doc,
) -> None:
    document = minimal_document(
        required=["name", "age"],
        allOf=[
            {
                "if": {"properties": {"name": {"const": "x"}}, "required": ["name"]},
                "then": {"required": ["age"]},
            }
        ],
    )
    problems = problems_for(schema_dir, document)
    assert any("always required but only sometimes shown" in p.message for p in problems)


def test_every_problem_is_reported_at_once(schema_dir: SchemaDir, minimal_document: Doc) -> None:
    document = minimal_document()
    about = document["properties"]["about"]
    about["properties"]["age"]["anyOf"] = [{"minimum": 1}]
    about["properties"]["name"]["pattern"] = "(x+x+)+y"
    about["properties"]["pets"] = {"type": "array", "title": "Pets", "items": {"type": "string"}}
    about["patternProperties"] = {}
    problems = problems_for(schema_dir, document)
    pointers = {p.pointer for p in problems}
    assert {
        "/properties/about/properties/age/anyOf",
        "/properties/about/properties/name/pattern",
        "/properties/about/properties/pets/items",
        "/properties/about/patternProperties",
    } <= pointers


def test_a_document_over_the_size_limit_is_refused(
    schema_dir: SchemaDir, minimal_document: Doc
) -> None:
    document = minimal_document()
    document["description"] = "x" * MAX_DOCUMENT_BYTES
    (problem,) = problems_for(schema_dir, document)
    assert problem.check == "size" and problem.file == "tiny/v1.json"


def test_too_deep_nesting_is_refused(schema_dir: SchemaDir, minimal_document: Doc) -> None:
    document = minimal_document()
    deep: dict[str, Any] = {"type": "string", "title": "Deep", "maxLength": 5}
    for level in range(5):
        deep = {
            "type": "object",
            "title": f"Group {level}",
            "properties": {"inner": deep},
            "additionalProperties": False,
        }
    document["properties"]["about"]["properties"]["deep"] = deep
    problems = problems_for(schema_dir, document)
    assert any("nested at most" in p.message for p in problems)
    nested = "[" * 200 + "]" * 200
    problems = problems_for(schema_dir, '{"title": "x", "examples": ' + nested + "}")
    assert [p.check for p in problems] == ["size"]


def test_a_ref_that_does_not_resolve_is_refused(
    schema_dir: SchemaDir, minimal_document: Doc
) -> None:
    document = minimal_document()
    document["properties"]["mood"] = {"$ref": "../phq-9/v9.json#/$defs/phq9"}
    problems = problems_for(schema_dir, document, bundled=True)
    (problem,) = [p for p in problems if p.check == "reference"]
    assert problem.pointer == "/properties/mood/$ref"


def test_a_ref_cycle_is_refused(schema_dir: SchemaDir, minimal_document: Doc) -> None:
    document = minimal_document()
    document["$defs"] = {
        "node": {
            "type": "object",
            "title": "Node",
            "properties": {"next": {"$ref": "#/$defs/node"}},
            "additionalProperties": False,
        }
    }
    document["properties"]["about"]["properties"]["tree"] = {"$ref": "#/$defs/node"}
    problems = problems_for(schema_dir, document)
    assert any("refers back to itself" in p.message for p in problems)


def test_a_new_document_can_reuse_phq9_by_ref(schema_dir: SchemaDir, minimal_document: Doc) -> None:
    document = minimal_document()
    document["properties"]["mood"] = {
        "$ref": "https://shared-assessment.example/form_schemas/phq-9/v1.json#/$defs/phq9",
        "title": "How you have been feeling",
    }
    catalogue = load_directory(schema_dir({"tiny/v1.json": document}, bundled=True))
    assert catalogue.problems == ()
    mood = catalogue.get("tiny", 1).structure.question("/mood")
    assert mood is not None and mood.title == "How you have been feeling"
    assert catalogue.get("tiny", 1).structure.question("/mood/phq9") is None
    assert catalogue.get("tiny", 1).structure.question("/mood/item9") is not None


def test_a_problem_inside_a_referenced_document_names_that_file(
    schema_dir: SchemaDir,
    bundled_document,
) -> None:
    phq9 = bundled_document("phq-9")
    phq9["$defs"]["phq9"]["properties"]["item3"]["anyOf"] = [{"const": 0}]
    root = schema_dir({"phq-9/v1.json": phq9}, bundled=True)
    catalogue = load_directory(root)
    assert ("phq-9", 1) not in catalogue.compiled
    assert ("joint-assessment", 1) not in catalogue.compiled
    assert ("gad-7", 1) in catalogue.compiled
    (problem,) = at(list(catalogue.problems), "/$defs/phq9/properties/item3/anyOf")
    assert problem.file == "phq-9/v1.json" and problem.line is not None
    with pytest.raises(QuestionnaireError) as raised:
        load_directory_strict(root)
    assert problem in raised.value.problems


def test_the_id_must_match_the_file(schema_dir: SchemaDir, minimal_document: Doc) -> None:
    problems = problems_for(schema_dir, minimal_document(key="other", version=3))
    assert at(problems, "/$id")


def test_admin_editor_check_text_reports_everything_with_lines(catalogue: Catalogue) -> None:
    text = (catalogue.root / "gad-7" / "v1.json").read_text("utf-8")
    edited = text.replace('"title": "Trouble relaxing"', '"title": "Trouble relaxing", "anyOf": []')
    document, problems = catalogue.check_text(edited, key="gad-7", version=1)
    assert document is not None
    pointers = {(p.pointer, p.check) for p in problems}
    assert ("/$defs/gad7/properties/item4/anyOf", "meta-schema") in pointers
    assert ("/$defs/gad7/properties/item4/anyOf", "renderer") in pointers
    assert all(
        p.line
        == edited.splitlines().index(next(line for line in edited.splitlines() if "anyOf" in line))
        + 1
        for p in problems
    )
    assert catalogue.check_text(text, key="gad-7", version=1)[1] == []


def test_check_text_refuses_non_objects_and_nan(catalogue: Catalogue) -> None:
    assert check_text("[]", file="a.json", extensions=catalogue.extensions)[1][0].check == "json"
    assert check_text('{"a": NaN}', file="a.json", extensions=catalogue.extensions)[1][0].check == (
        "json"
    )


def test_pointer_lines_maps_keys_and_array_items() -> None:
    text = '{\n  "a": {\n    "b~/c": [\n      1,\n      {"d": "x\\"y"}\n    ]\n  },\n  "e": null\n}'
    lines = pointer_lines(text)
    assert lines[""] == 1
    assert lines["/a"] == 2
    assert lines["/a/b~0~1c"] == 3
    assert lines["/a/b~0~1c/0"] == 4
    assert lines["/a/b~0~1c/1/d"] == 5
    assert lines["/e"] == 8
    assert line_of_pointer(text, "/a/missing/deeper") == 2
    assert pointer_lines("{not json") == {}
