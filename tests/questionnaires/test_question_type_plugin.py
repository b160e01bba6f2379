"""A question type from outside the package, registered as the built-ins are: through the
``assessment_engine.question_types`` entry-point group, found when the application starts."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from assessment_engine import create_app
from assessment_engine.forms import section_form
from assessment_engine.forms.markup import section_markup
from assessment_engine.forms.summary import summary_rows
from assessment_engine.questionnaires.compiled import compile_questionnaire
from assessment_engine.questionnaires.fhir.export import questionnaire_resource
from assessment_engine.questionnaires.model import QuestionType
from assessment_engine.questionnaires.runtime import VersionCache
from assessment_engine.questionnaires.types.registry import (
    ENTRY_POINT_GROUP,
    builtin_types,
    load_question_types,
    question_types,
)
from assessment_engine.scoring.errors import RegistryError

PLUGIN = Path(__file__).resolve().parents[1] / "question_type_plugin"

DOCUMENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://shared-assessment.example/form_schemas/plugin-test/v1.json",
    "title": "Where you live",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "home": {
            "title": "Home",
            "type": "object",
            "additionalProperties": False,
            "required": ["postcode"],
            "properties": {
                "postcode": {
                    "title": "Your postcode",
                    "type": "string",
                    "format": "uk-postcode",
                    "maxLength": 8,
                },
                "street": {"title": "Street", "type": "string"},
            },
        }
    },
}


def _site(root: Path, entry_points: str) -> Path:
    """A directory holding one installed distribution: the plugin module and its metadata."""
    root.mkdir()
    shutil.copy(PLUGIN / "assessment_engine_postcode.py", root)
    info = root / "assessment_engine_postcode-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: assessment-engine-postcode\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_points}\n")
    return root


@pytest.fixture
def plugin_site(tmp_path: Path) -> Iterator[Path]:
    site = _site(tmp_path / "site", "postcode = assessment_engine_postcode:Postcode")
    sys.path.insert(0, str(site))
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("assessment_engine_postcode", None)


@pytest.fixture
def plugin_app(plugin_site: Path, app_config: dict[str, Any]) -> Flask:
    return create_app(app_config)


def test_the_application_registers_a_plugin_type_beside_the_built_ins(plugin_app: Flask) -> None:
    types = question_types(plugin_app)
    assert set(types) == {member.value for member in QuestionType} | {"postcode"}
    assert ("postcode", "UK postcode") in types.choices()
    assert ("date", "Date") in types.choices()
    assert "section" not in dict(types.choices())
    assert "assessment-engine-postcode 0.1.0" in types.origin("postcode")


def test_a_plugin_type_is_read_asked_shown_and_exported(plugin_app: Flask) -> None:
    cache: VersionCache = plugin_app.extensions["assessment_versions"]
    compiled = compile_questionnaire(
        DOCUMENT, extensions=cache.extensions, types=cache.question_types
    )
    question = compiled.structure.questions["/home/postcode"]
    assert question.type == "postcode"
    assert question.type.takes_answer and not question.type.is_container
    assert question.max_length == 8
    # the built-in types still read as before
    assert compiled.structure.questions["/home/street"].type is QuestionType.SHORT_TEXT

    with plugin_app.test_request_context():
        form = section_form(compiled, "home", None, MultiDict({"home-postcode": "eh1 1aa"}))
        html = str(section_markup(form))
    assert 'autocomplete="postal-code"' in html
    assert 'value="eh1 1aa"' in html
    rows = summary_rows(compiled, {"home": form.current_answers}, "home")
    assert rows[0]["value"] == {"text": "EH1 1AA"}

    assert compiled.validate({"home": {}}, complete=True) == {
        "/home/postcode": ["Enter a postcode"]
    }
    exported = questionnaire_resource(
        key="plugin-test", version=1, status="active", structure=compiled.structure
    )
    items = exported["item"][0]["item"]
    assert items[0]["type"] == "string"
    assert items[0]["maxLength"] == 8


def test_without_the_plugin_its_questions_are_refused(app: Flask) -> None:
    cache: VersionCache = app.extensions["assessment_versions"]
    with pytest.raises(Exception, match="format 'uk-postcode' is not supported"):
        compile_questionnaire(DOCUMENT, extensions=cache.extensions, types=cache.question_types)


def test_a_plugin_may_not_take_a_built_in_name(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", "date = assessment_engine_postcode:Postcode")
    with pytest.raises(RegistryError, match="question type 'date' is registered twice"):
        load_question_types(path=[*sys.path, str(site)])


def test_two_plugins_with_one_name_stop_start_up(
    tmp_path: Path, app_config: dict[str, Any]
) -> None:
    first = _site(tmp_path / "first", "postcode = assessment_engine_postcode:Postcode")
    second = tmp_path / "second"
    shutil.copytree(first, second)
    info = second / "assessment_engine_postcode-0.1.0.dist-info"
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: assessment-engine-postcode-copy\nVersion: 0.1.0\n"
    )
    info.rename(second / "assessment_engine_postcode_copy-0.1.0.dist-info")
    sys.path[:0] = [str(first), str(second)]
    try:
        with pytest.raises(RegistryError, match="'postcode' is registered twice"):
            create_app(app_config)
    finally:
        sys.path.remove(str(first))
        sys.path.remove(str(second))
        sys.modules.pop("assessment_engine_postcode", None)


def test_setup_cfg_declares_exactly_the_built_ins_used_without_an_application() -> None:
    """Outside an application the reader uses ``builtin_types()``; the entry points in
    ``setup.cfg`` must name the same classes, or a page and a script would read differently."""
    declared = load_question_types()
    assert {name: type(kind) for name, kind in declared.items()} == {
        name: type(kind) for name, kind in builtin_types().items()
    }
