"""Fixtures for the questionnaire language tests: the bundled documents and scratch directories.

No Flask app and no database: everything here is pure.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assessment_engine.questionnaires.catalogue import Catalogue, load_directory
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire

FORM_SCHEMAS = Path(__file__).resolve().parents[2] / "form_schemas"


@pytest.fixture(scope="session")
def form_schemas() -> Path:
    """The repository's ``form_schemas/`` directory."""
    return FORM_SCHEMAS


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The bundled questionnaires, loaded once for the session."""
    return load_directory(FORM_SCHEMAS)


@pytest.fixture(scope="session")
def joint(catalogue: Catalogue) -> CompiledQuestionnaire:
    return catalogue.get("joint-assessment", 1)


@pytest.fixture
def bundled_document() -> Callable[[str], dict[str, Any]]:
    """A fresh, editable copy of a bundled document, by key."""

    def read(key: str) -> dict[str, Any]:
        return copy.deepcopy(json.loads((FORM_SCHEMAS / key / "v1.json").read_text("utf-8")))

    return read


@pytest.fixture
def schema_dir(tmp_path: Path) -> Callable[..., Path]:
    """Build a scratch ``form_schemas/`` holding the meta-schema and the given files.

    Call it with ``{"key/v1.json": document-or-text}``; ``bundled=True`` also copies every
    version of the three bundled questionnaires so a new document can ``$ref`` them.
    """

    def build(files: dict[str, Any], *, bundled: bool = False) -> Path:
        root = tmp_path / "form_schemas"
        (root / "_meta").mkdir(parents=True, exist_ok=True)
        shutil.copy(FORM_SCHEMAS / "_meta" / "extensions.json", root / "_meta" / "extensions.json")
        if bundled:
            for key in ("phq-9", "gad-7", "joint-assessment"):
                (root / key).mkdir(exist_ok=True)
                for version in (FORM_SCHEMAS / key).glob("v*.json"):
                    if re.fullmatch(r"v\d+\.json", version.name):
                        shutil.copy(version, root / key / version.name)
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            text = content if isinstance(content, str) else json.dumps(content, indent=2)
            path.write_text(text, encoding="utf-8")
        return root

    return build


def _minimal_document(key: str = "tiny", version: int = 1, **section: Any) -> dict[str, Any]:
    """A small valid questionnaire; keyword arguments replace parts of its one section."""
    about: dict[str, Any] = {
        "type": "object",
        "title": "About you",
        "properties": {
            "name": {"type": "string", "title": "Your name", "maxLength": 50},
            "age": {"type": "integer", "title": "Your age", "minimum": 0, "maximum": 120},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    about.update(section)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://shared-assessment.example/form_schemas/{key}/v{version}.json",
        "title": "Tiny questionnaire",
        "type": "object",
        "properties": {"about": about},
        "required": ["about"],
        "additionalProperties": False,
    }


@pytest.fixture
def minimal_document() -> Callable[..., dict[str, Any]]:
    """Make a small valid questionnaire; keyword arguments replace parts of its section."""
    return _minimal_document
