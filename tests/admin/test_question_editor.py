"""The question editor's pages: each edit saves the draft's JSON (what the JSON editor shows),
references follow a moved question, checks show on their question, publishing asks first."""

from __future__ import annotations

import html
import html as html_module
import json
import re
from typing import Any

from .conftest import Drafts

KEY = "joint-assessment"


def _revision(html: str) -> str:
    found = re.search(r'name="revision"[^>]*value="(\d+)"', html)
    assert found, "no revision in the page"
    return found.group(1)


def _question_form(client: Any, url: str, **changes: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="text"[^>]*value="([^"]*)"', html))
    data.update(
        re.findall(
            r'<input[^>]*id="([^"]+-\d+-[a-z]+)" name="\1" type="text"[^>]*value="([^"]*)"', html
        )
    )
    for name in ("type", "required"):
        checked = re.search(rf'name="{name}" type="radio" value="([^"]+)" checked', html)
        if checked:
            data[name] = checked.group(1)
    for name in ("show_when", "section", "not_after"):
        select = re.search(rf'name="{name}"[^>]*>(.*?)</select>', html, re.S)
        selected = select and re.search(r'value="([^"]*)" selected', select.group(1))
        data[name] = html_module.unescape(selected.group(1)) if selected else ""
    data["title"] = re.search(r'name="title" type="text" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]
    data["revision"] = _revision(html)
    data.update(changes)
    return data


def test_adding_a_scored_question_shown_when_another_is_answered(
    client: Any, drafts: Drafts
) -> None:
    number = drafts.start(KEY)
    base = f"/admin/questionnaires/{KEY}/versions/{number}"
    listing = client.get(f"{base}/questions").get_data(as_text=True)
    assert "Read-only here" in listing and "phq-9" in listing  # PHQ-9 reached through $ref
    new = client.get(f"{base}/questions/falls/new").get_data(as_text=True)
    when = re.search(
        r'<option value="([^"]+)">Has the person fallen in the last 6 months\? is Yes</option>', new
    )
    assert when, "the fallen question's Yes is offered as a condition"
    # "Add an option" re-shows the form with one more option row, saving nothing
    added = client.post_form(
        f"{base}/questions/falls/new",
        {
            "revision": _revision(new),
            "title": "Hurt?",
            "name": "hurt",
            "type": "scored",
            "required": "yes",
            "action": "add-option",
        },
    )
    assert added.status_code == 200 and 'name="options-0-label"' in added.get_data(as_text=True)
    saved = client.post_form(
        f"{base}/questions/falls/new",
        {
            "revision": _revision(new),
            "title": "Was the person hurt when they fell?",
            "hint": "The most recent fall",
            "description": "Bruises count",
            "name": "hurt",
            "type": "scored",
            "required": "no",
            "options-0-label": "Not hurt",
            "options-0-code": "no",
            "options-0-score": "0",
            "options-1-label": "Badly hurt",
            "options-1-code": "badly",
            "options-1-score": "3",
            "show_when": html.unescape(when.group(1)),
            "section": "falls",
            "not_after": "",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    document = json.loads(drafts.texts(KEY, number)["document"])
    falls = document["properties"]["falls"]
    assert falls["properties"]["hurt"]["oneOf"][1] == {
        "const": "badly",
        "title": "Badly hurt",
        "x-score": 3,
    }
    assert falls["allOf"][0]["then"]["properties"]["hurt"] is True
    page = client.get(f"{base}/questions").get_data(as_text=True)
    assert "No problems" in page, re.findall(r'app-question-problems">(.*?)</ul>', page, re.S)
    # the JSON editor (expert mode) shows what the question editor wrote
    assert "Badly hurt" in drafts.page(KEY, number)


def test_moving_a_question_a_rule_uses_rewrites_the_rule(client: Any, drafts: Drafts) -> None:
    number = drafts.start(KEY)
    base = f"/admin/questionnaires/{KEY}/versions/{number}"
    url = f"{base}/questions/personal_care/help_at_night"
    data = _question_form(client, url, section="daily_living")
    moved = client.post_form(url, data)
    assert moved.status_code == 302, moved.get_data(as_text=True)
    texts = drafts.texts(KEY, number)
    assert "/personal_care/help_at_night" not in texts["rules"]
    assert "/daily_living/help_at_night" in texts["rules"]
    assert (
        "help_at_night" in json.loads(texts["document"])["properties"]["daily_living"]["properties"]
    )
    assert "No problems" in client.get(f"{base}/questions").get_data(as_text=True)


def test_deleting_what_a_rule_uses_is_refused_with_the_reason(client: Any, drafts: Drafts) -> None:
    number = drafts.start(KEY)
    base = f"/admin/questionnaires/{KEY}/versions/{number}"
    revision = _revision(client.get(f"{base}/questions").get_data(as_text=True))
    refused = client.post_form(
        f"{base}/questions/social/lonely/delete", {"revision": revision}, follow_redirects=True
    )
    html = refused.get_data(as_text=True)
    assert "cannot be deleted" in html and "/social/lonely" in html
    assert (
        "lonely"
        in json.loads(drafts.texts(KEY, number)["document"])["properties"]["social"]["properties"]
    )


def test_a_problem_shows_on_its_question(client: Any, drafts: Drafts) -> None:
    number = drafts.start(KEY)
    base = f"/admin/questionnaires/{KEY}/versions/{number}"

    def break_it(document: Any) -> None:  # in expert mode: a drop-down for a yes/no question
        document["properties"]["falls"]["properties"]["fallen"]["x-widget"] = "select"

    drafts.edit_json(KEY, number, "document", break_it)
    listing = client.get(f"{base}/questions").get_data(as_text=True)
    row = listing[listing.index('id="falls-fallen"') :]
    row = row[: row.index("</div>")]
    assert "cannot show a yes_no question" in row
    page = client.get(f"{base}/questions/falls/fallen").get_data(as_text=True)
    assert 'id="question-problems"' in page and "cannot show a yes_no question" in page


def test_publishing_asks_first_and_says_what_changes(client: Any, drafts: Drafts) -> None:
    number = drafts.start(KEY)
    base = f"/admin/questionnaires/{KEY}/versions/{number}"
    url = f"{base}/questions/about/preferred_name"
    changed = client.post_form(url, _question_form(client, url, title="What name do they use?"))
    assert changed.status_code == 302, re.findall(
        r"error-message.*?</p>", changed.get_data(as_text=True), re.S
    )
    unconfirmed = client.post_form(f"{base}/publish", {"revision": "2"})
    assert unconfirmed.status_code == 302 and unconfirmed.headers["Location"].endswith(
        f"{base}/publish"
    )
    confirm = client.get(f"{base}/publish").get_data(as_text=True)
    assert (
        "Publish version" in confirm
        and "/about/preferred_name" in confirm
        and "Reworded" in confirm
    )
    done = client.post_form(f"{base}/publish", {"revision": _revision(confirm), "confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/questionnaires")


def test_the_page_after_a_save_does_not_check_the_draft_again(
    client: Any, drafts: Drafts, monkeypatch: Any
) -> None:
    from assessment_engine.questionnaires import preview

    number = drafts.start(KEY)
    base = f"/admin/questionnaires/{KEY}/versions/{number}"
    revision = _revision(client.get(f"{base}/questions").get_data(as_text=True))
    assert (
        client.post_form(
            f"{base}/questions/about/preferred_name/down", {"revision": revision}
        ).status_code
        == 302
    )
    checks: list[object] = []
    original = preview.check_draft
    monkeypatch.setattr(
        preview, "check_draft", lambda *a, **k: checks.append(1) or original(*a, **k)
    )
    listing = client.get(f"{base}/questions").get_data(as_text=True)
    assert "No problems" in listing and checks == []  # the save's own check was kept
    client.get(f"{base}/preview")
    assert checks == []


def test_a_question_that_repeats_is_edited_without_its_inner_questions(
    client: Any, drafts: Drafts
) -> None:
    number = drafts.start(KEY)
    url = f"/admin/questionnaires/{KEY}/versions/{number}/questions/health/medicines"
    page = client.get(url).get_data(as_text=True)
    assert 'id="inner-questions"' in page and 'value="repeating_group"' in page
    assert 'value="short_text"' not in page  # it cannot become another type
    data = _question_form(client, url, item_label="tablet", max_length="12")
    saved = client.post_form(url, data)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    node = json.loads(drafts.texts(KEY, number)["document"])["properties"]["health"]["properties"][
        "medicines"
    ]
    assert node["x-item-label"] == "tablet" and node["maxItems"] == 12
    assert node["items"]["properties"]  # its inner questions are kept


def test_an_edit_from_a_page_shown_before_another_save_saves_nothing(
    client: Any, drafts: Drafts
) -> None:
    number = drafts.start(KEY)
    base = f"/admin/questionnaires/{KEY}/versions/{number}"
    url = f"{base}/questions/about/preferred_name"
    old_form = _question_form(client, url, title="What name do they use?")
    assert (
        client.post_form(
            f"{base}/questions/about/lives_with/down", {"revision": old_form["revision"]}
        ).status_code
        == 302
    )
    stale = client.post_form(url, old_form)
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Someone else saved this draft" in html and "What name do they use?" in html
    document = json.loads(drafts.texts(KEY, number)["document"])
    assert (
        document["properties"]["about"]["properties"]["preferred_name"]["title"]
        != "What name do they use?"
    )
    again = client.post_form(url, {**old_form, "revision": _revision(html)})
    assert again.status_code == 302  # applied on top of the other save, which is kept
    about = json.loads(drafts.texts(KEY, number)["document"])["properties"]["about"]["properties"]
    assert about["preferred_name"]["title"] == "What name do they use?"
    names = list(about)
    assert names.index("lives_with") > names.index("main_language")  # the other save stays


def test_an_option_refused_is_said_on_the_options(client: Any, drafts: Drafts) -> None:
    number = drafts.start(KEY)
    url = f"/admin/questionnaires/{KEY}/versions/{number}/questions/falls/new"
    revision = _revision(client.get(url).get_data(as_text=True))
    base = {
        "revision": revision,
        "title": "Hurt?",
        "name": "hurt",
        "type": "scored",
        "required": "no",
        "show_when": "",
        "not_after": "",
        "section": "falls",
    }
    bad_score = client.post_form(
        url,
        {**base, "options-0-label": "Badly", "options-0-code": "bad", "options-0-score": "lots"},
    )
    assert bad_score.status_code == 422
    html = bad_score.get_data(as_text=True)
    assert 'id="options-0-score-error"' in html and "Score must be a number" in html
    assert 'href="#options-0-score"' in html  # the summary links to the field
    assert "{&#39;" not in html
    no_score = client.post_form(
        url, {**base, "options-0-label": "Badly", "options-0-code": "bad", "options-0-score": ""}
    )
    assert no_score.status_code == 422
    assert "Enter a score for option 1" in no_score.get_data(as_text=True)


def test_a_revision_that_cannot_be_one_is_stale_and_a_published_version_says_why(
    client: Any, drafts: Drafts
) -> None:
    number = drafts.start(KEY)
    base = f"/admin/questionnaires/{KEY}/versions/{number}"
    url = f"{base}/questions/about/preferred_name"
    form = _question_form(client, url, title="What name do they use?")
    for revision in ("abc", str(2**40)):
        refused = client.post_form(url, {**form, "revision": revision})
        assert refused.status_code == 409, revision
        assert "Someone else saved this draft" in refused.get_data(as_text=True)
    # A published version's editor pages say why nothing can change there.
    published = client.get(f"/admin/questionnaires/{KEY}/versions/1/questions/about/new")
    assert published.status_code == 409
    page = published.get_data(as_text=True)
    assert "This version can no longer change" in page and "Nothing was changed." in page
