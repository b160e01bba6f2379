"""Whatever an administrator writes is shown escaped, on every page it appears on."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest

from assessment_engine.questionnaires.services import find_version

get_version = partial(find_version, drafts=True)

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
    "{{7*7}}",
    "\u202eevil\u202c",
]
#: What must never appear raw in a page (the escaped forms are checked separately).
RAW = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", 'href="javascript:']


def _plant(drafts: Any, payload: str) -> None:
    """Put ``payload`` in titles, a hint, an option label and a rule's title and description."""
    drafts.start("phq-9")

    def document(doc: Any) -> None:
        items = doc["$defs"]["phq9"]["properties"]
        items["item1"]["title"] = f"T {payload}"
        items["item2"]["x-hint"] = f"H {payload}"
        items["item3"]["oneOf"][0]["title"] = f"O {payload}"
        doc["$defs"]["phq9"]["title"] = f"S {payload}"
        doc["title"] = f"Q {payload}"

    def rules(doc: Any) -> None:
        doc["rules"][3]["title"] = f"R {payload}"
        doc["rules"][3]["description"] = f"D {payload}"

    drafts.edit_json("phq-9", 3, "document", document)
    drafts.edit_json("phq-9", 3, "rules", rules)


def _assert_safe(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{raw!r} unescaped on {where}"
    assert "T 49" not in html and "H 49" not in html, f"a template was evaluated on {where}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_escaped_everywhere(
    client, drafts, db_session, factories, login_as, payload
) -> None:
    _plant(drafts, payload)
    pages = {
        "library": "/admin/questionnaires",
        "editor": "/admin/questionnaires/phq-9/versions/3",
        "preview": "/admin/questionnaires/phq-9/versions/3/preview",
        "diff": "/admin/questionnaires/phq-9/compare?from=2&to=3",
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        html = response.get_data(as_text=True)
        _assert_safe(html, where)
        if payload.startswith("<script"):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, where
        if payload == "{{7*7}}" and where != "library":
            assert "T {{7*7}}" in html, where
    assert drafts.publish("phq-9", 3).status_code == 302
    client.post_form("/sign-out")
    assessor = login_as("assessor")
    assessment = factories.assessment(key="phq-9", user=assessor)
    assert assessment.questionnaire_version.version == 3
    section = client.get(f"/assessments/{assessment.id}/sections/phq9")
    assert section.status_code == 200
    html = section.get_data(as_text=True)
    _assert_safe(html, "the assessor's section page")
    if payload.startswith("<script"):
        assert "T &lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "H &lt;script&gt;" in html and "O &lt;script&gt;" in html


def test_the_editor_shows_typed_html_as_text_in_the_textarea(drafts, db_session) -> None:
    drafts.start("gad-7")
    text = drafts.texts("gad-7", 3)["document"].replace(
        '"title": "GAD-7",', '"title": "</textarea><script>alert(1)</script>",', 1
    )
    drafts.save("gad-7", 3, document=text)
    html = drafts.page("gad-7", 3)
    assert "</textarea><script>" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert json.loads(drafts.texts("gad-7", 3)["document"])["title"].startswith("</textarea>")
    assert get_version(db_session, "gad-7", 3) is not None
