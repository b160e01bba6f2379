"""A draft's test cases are validated against the draft as ``load-schemas`` validates shipped
ones: a case whose ``given`` the draft's own questionnaire refuses fails, by name, on the draft
page, and blocks publishing, even when the rules would give what it expects."""

from __future__ import annotations

import html as markup
from typing import Any

CASE = "PHQ-9 total 0 is minimal"


def _case(cases: Any) -> Any:
    return next(case for case in cases["cases"] if case["name"] == CASE)


def test_a_case_the_draft_refuses_fails_by_name_and_blocks_publishing(drafts: Any) -> None:
    number = drafts.start("phq-9")
    page = markup.unescape(drafts.page("phq-9", number))
    assert "Draft saved" not in page and f"Pass: {CASE}" in page

    # Answers the form could never send: a question the document does not have, and a score
    # outside the item's options. The rules ignore the first and the total still matches.
    def invalid(cases: Any) -> None:
        _case(cases)["given"]["phq9"]["item10"] = 0

    drafts.edit_json("phq-9", number, "test_cases", invalid)
    page = markup.unescape(drafts.page("phq-9", number))
    assert f"Fail: {CASE}" in page
    assert "given /phq9/item10 is refused by the questionnaire" in page
    assert f"phq-9/v{number}.cases.json, line" in page  # in the problem list, with its line
    assert drafts.publish("phq-9", number).status_code == 422

    def out_of_range(cases: Any) -> None:
        given = _case(cases)["given"]["phq9"]
        del given["item10"]
        given["item1"] = 7

    drafts.edit_json("phq-9", number, "test_cases", out_of_range)
    page = markup.unescape(drafts.page("phq-9", number))
    assert "given /phq9/item1 is refused by the questionnaire" in page

    def valid(cases: Any) -> None:
        _case(cases)["given"]["phq9"]["item1"] = 0

    drafts.edit_json("phq-9", number, "test_cases", valid)
    page = markup.unescape(drafts.page("phq-9", number))
    assert f"Pass: {CASE}" in page and "refused by the questionnaire" not in page
    assert drafts.publish("phq-9", number).status_code == 302


def test_a_case_giving_part_of_a_section_fails_on_what_is_missing(drafts: Any) -> None:
    """A case may give only the sections its rules read, but each section it gives complete."""
    number = drafts.start("joint-assessment")

    def incomplete(cases: Any) -> None:
        first = cases["cases"][0]
        section = next(iter(first["given"]))
        first["given"][section] = {}
        first["name"] = "An empty section"

    drafts.edit_json("joint-assessment", number, "test_cases", incomplete)
    page = markup.unescape(drafts.page("joint-assessment", number))
    assert "Fail: An empty section" in page
    assert "is refused by the questionnaire" in page
    assert drafts.publish("joint-assessment", number).status_code == 422
