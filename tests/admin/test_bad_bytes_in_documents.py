"""A questionnaire document may spell a NUL or an unpaired surrogate as a JSON escape: valid
JSON, but not storable. The editor reports it with its pointer instead of failing at publish."""

from __future__ import annotations


def test_an_escaped_nul_in_a_document_is_a_problem_with_its_pointer(drafts) -> None:
    drafts.start("gad-7")
    text = drafts.texts("gad-7", 3)["document"].replace(
        '"title": "GAD-7",', '"title": "GAD-7\\u0000",', 1
    )
    assert "\\u0000" in text
    assert drafts.save("gad-7", 3, document=text).status_code == 302
    html = drafts.page("gad-7", 3)
    assert "cannot be stored" in html and '<code class="app-pointer">/title</code>' in html
    assert drafts.publish("gad-7", 3).status_code == 422


def test_an_unpaired_surrogate_in_the_rules_is_a_problem(drafts) -> None:
    drafts.start("gad-7")
    rules = drafts.texts("gad-7", 3)["rules"].replace("{", '{"note": "\\ud800",', 1)
    assert drafts.save("gad-7", 3, rules=rules).status_code == 302
    assert "cannot be stored" in drafts.page("gad-7", 3)
    assert drafts.publish("gad-7", 3).status_code == 422
