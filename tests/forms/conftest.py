"""Fixtures for the questionnaire form renderer: the bundled questionnaires, a questionnaire
using every question type, a request context to render in, and a "browser" that reads a
rendered page back into the data it would post.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template
from werkzeug.datastructures import MultiDict

from assessment_engine.forms.builder import SectionForm
from assessment_engine.questionnaires.catalogue import Catalogue, load_directory
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire, compile_questionnaire
from assessment_engine.questionnaires.documents import load_extensions

FORM_SCHEMAS = Path(__file__).resolve().parents[2] / "form_schemas"
EXAMPLES = sorted((FORM_SCHEMAS / "joint-assessment" / "examples").glob("*.json"))


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_directory(FORM_SCHEMAS)


@pytest.fixture(scope="session")
def joint(catalogue: Catalogue) -> CompiledQuestionnaire:
    return catalogue.get("joint-assessment", 1)


@pytest.fixture(scope="session")
def examples() -> dict[str, dict[str, Any]]:
    """The joint assessment's example answer sets, by file name."""
    return {path.stem: json.loads(path.read_text("utf-8")) for path in EXAMPLES}


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


def compile_document(document: dict[str, Any]) -> CompiledQuestionnaire:
    """Check and compile a questionnaire document written by a test."""
    extensions = load_extensions(FORM_SCHEMAS / "_meta" / "extensions.json")
    return compile_questionnaire(copy.deepcopy(document), extensions=extensions, file="test.json")


def kitchen_sink(**overrides: Any) -> dict[str, Any]:
    """A questionnaire with every question type; ``overrides`` replace texts (for escaping)."""
    title = overrides.get("title")
    hint = overrides.get("hint")
    label = overrides.get("label")

    def t(text: str) -> str:
        return title or text

    def h(text: str) -> str:
        return hint or text

    def opts(*pairs: tuple[Any, str], scored: bool = False) -> list[dict[str, Any]]:
        found = []
        for value, words in pairs:
            option: dict[str, Any] = {"const": value, "title": label or words}
            if scored:
                option["x-score"] = value
            found.append(option)
        return found

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://shared-assessment.example/form_schemas/sink/v1.json",
        "title": t("Every kind of question"),
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "main": {
                "type": "object",
                "title": t("Main"),
                "description": h("About this section"),
                "x-guidance": h("Section guidance"),
                "additionalProperties": False,
                "properties": {
                    "note": {
                        "title": t("Read this"),
                        "description": h("Guidance text"),
                        "x-widget": "guidance",
                        "not": {},
                    },
                    "name": {
                        "type": "string",
                        "title": t("Name"),
                        "x-hint": h("Full name"),
                        "maxLength": 40,
                    },
                    "story": {
                        "type": "string",
                        "title": t("Story"),
                        "x-widget": "textarea",
                        "maxLength": 500,
                    },
                    "notes": {"type": "string", "title": t("Notes"), "x-widget": "textarea"},
                    "count": {"type": "integer", "title": t("Count"), "minimum": 0, "maximum": 100},
                    "weight": {
                        "type": "number",
                        "title": t("Weight"),
                        "x-suffix": "kg",
                        "minimum": 1,
                        "maximum": 300,
                    },
                    "born": {"type": "string", "format": "date", "title": t("Born")},
                    "agrees": {"type": "boolean", "title": t("Agrees?")},
                    "colour": {
                        "type": "string",
                        "title": t("Colour"),
                        "x-guidance": h("Pick"),
                        "oneOf": opts(("red", "Red"), ("blue", "Blue")),
                    },
                    "city": {
                        "type": "string",
                        "title": t("City"),
                        "x-widget": "select",
                        "oneOf": opts(("perth", "Perth"), ("dundee", "Dundee")),
                    },
                    "level": {
                        "type": "integer",
                        "title": t("Level"),
                        "oneOf": opts((0, "None"), (1, "Some"), (2, "Lots"), scored=True),
                    },
                    "pets": {
                        "type": "array",
                        "title": t("Pets"),
                        "uniqueItems": True,
                        "items": {"type": "string", "oneOf": opts(("cat", "Cat"), ("dog", "Dog"))},
                    },
                    "extra": {"type": "string", "title": t("Why that colour?"), "maxLength": 50},
                    "scale": {
                        "type": "object",
                        "title": t("A scale"),
                        "description": h("Over the last 2 weeks"),
                        "additionalProperties": False,
                        "properties": {
                            "a": {
                                "type": "integer",
                                "title": t("Item A"),
                                "oneOf": opts((0, "No"), (3, "Yes"), scored=True),
                            },
                            "b": {
                                "type": "integer",
                                "title": t("Item B"),
                                "oneOf": opts((0, "No"), (3, "Yes"), scored=True),
                            },
                            "total": {
                                "type": "integer",
                                "title": t("Total"),
                                "readOnly": True,
                                "x-calculated": {"operation": "sum", "of": ["a", "b"]},
                            },
                        },
                        "required": ["a", "b"],
                    },
                    "things": {
                        "type": "array",
                        "title": t("Things"),
                        "x-hint": h("Add each thing"),
                        "x-item-label": label or "thing",
                        "maxItems": 3,
                        "items": {
                            "type": "object",
                            "title": t("Thing"),
                            "additionalProperties": False,
                            "properties": {
                                "what": {"type": "string", "title": t("What"), "maxLength": 30},
                                "kind": {
                                    "type": "string",
                                    "title": t("Kind"),
                                    "oneOf": opts(("big", "Big"), ("other", "Other")),
                                },
                                "other_kind": {"type": "string", "title": t("Other kind")},
                                "when": {"type": "string", "format": "date", "title": t("When")},
                            },
                            "required": ["what"],
                            "if": {
                                "properties": {"kind": {"const": "other"}},
                                "required": ["kind"],
                            },
                            "then": {"required": ["other_kind"]},
                        },
                    },
                },
                "required": ["name"],
                "allOf": [
                    {
                        "if": {"properties": {"colour": {"const": "red"}}, "required": ["colour"]},
                        "then": {"properties": {"extra": True}},
                    }
                ],
            }
        },
        "required": ["main"],
    }


@pytest.fixture(scope="session")
def sink() -> CompiledQuestionnaire:
    return compile_document(kitchen_sink())


def render(form: SectionForm) -> str:
    """The section's fields as HTML, through the real template partial."""
    return render_template("forms/section_fields.html", form=form)


class _FormReader(HTMLParser):
    """Collects what a browser would post from the controls of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind != "submit":
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # The HTML parser drops nothing, but a browser drops one leading newline.
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if chosen or self._options:
                self.fields.append((self._select, (chosen or [self._options[0][0]])[0]))
            self._select = None


def post_data(html: str, button: tuple[str, str] | None = None) -> MultiDict[str, str]:
    """What a browser posts from ``html`` (in document order), pressing ``button`` if given."""
    reader = _FormReader()
    reader.feed(html)
    data: MultiDict[str, str] = MultiDict(reader.fields)
    if button is not None:
        data.add(*button)
    return data


def element_ids(html: str) -> list[str]:
    reader = _FormReader()
    reader.feed(html)
    return reader.ids


@pytest.fixture
def browser() -> Callable[..., MultiDict[str, str]]:
    return post_data
