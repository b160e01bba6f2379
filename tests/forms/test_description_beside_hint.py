"""A question's description is shown beside its hint (it was dropped when both were given)."""

from __future__ import annotations

import pytest

from assessment_engine.forms import section_form
from assessment_engine.forms.markup import section_markup

from .conftest import compile_document

pytestmark = pytest.mark.usefixtures("request_context")


def test_description_and_hint_both_show() -> None:
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://shared-assessment.example/form_schemas/hinted/v1.json",
        "title": "Hinted",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "one": {
                "type": "object",
                "title": "One",
                "additionalProperties": False,
                "properties": {
                    "weight": {
                        "type": "number",
                        "title": "Weight",
                        "x-hint": "In kilograms",
                        "description": "Weigh without shoes",
                    },
                    "height": {"type": "number", "title": "Height", "description": "In metres"},
                },
            }
        },
    }
    html = str(section_markup(section_form(compile_document(document), "one", {})))
    assert "In kilograms Weigh without shoes" in html
    assert "In metres" in html
