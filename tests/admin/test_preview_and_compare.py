"""Live preview of a draft with the rules' decision, and the readable comparison of versions."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from sqlalchemy import func, select

from assessment_engine.assessments.models import Assessment
from assessment_engine.forms import field_id
from assessment_engine.questionnaires.diff import compare
from assessment_engine.questionnaires.services import find_version, prepared

from ..factories import example_answers

get_version = partial(find_version, drafts=True)


def _structure(app: Any, db_session: Any, key: str, number: int) -> Any:
    version = get_version(db_session, key, number)
    return prepared(db_session, app.extensions["assessment_versions"], version)


def test_the_preview_shows_the_draft_as_an_assessor_sees_it_and_runs_its_rules(
    client, drafts, db_session
) -> None:
    drafts.start("phq-9")

    def reword(document: Any) -> None:
        document["$defs"]["phq9"]["properties"]["item1"]["title"] = "Little joy in things"

    drafts.edit_json("phq-9", 3, "document", reword)
    page = client.get("/admin/questionnaires/phq-9/versions/3/preview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Little joy in things" in html and 'class="govuk-radios' in html
    counted = db_session.scalar(select(func.count()).select_from(Assessment))
    answers = example_answers("severe-with-self-harm-thoughts", "phq-9")["phq9"]
    form = {field_id(f"/phq9/{item}"): str(value) for item, value in answers.items()}
    posted = client.post_form(
        "/admin/questionnaires/phq-9/versions/3/preview",
        {**form, "section": "phq9", "_preview_answers": "{}", "action": "save"},
    )
    html = posted.get_data(as_text=True)
    assert posted.status_code == 200
    assert 'id="decision-route">Health' in html and 'id="decision-priority">Critical' in html
    assert "phq9_total" in html and "crisis-mental-health" in html
    assert "phq9-item9</strong> fired" in html  # the trace
    carried = html.split('name="_preview_answers" value="')[1].split('"')[0]
    assert "item9" in carried  # the answers travel in the page ...
    assert db_session.scalar(select(func.count()).select_from(Assessment)) == counted  # only


def test_preview_errors_are_shown_at_their_field(client, admin) -> None:
    posted = client.post_form(
        "/admin/questionnaires/gad-7/versions/1/preview",
        {field_id("/gad7/item1"): "9", "section": "gad7", "action": "save"},
    )
    assert posted.status_code == 422
    assert "There is a problem" in posted.get_data(as_text=True)


def test_the_comparison_names_every_kind_of_change(app, db_session, drafts) -> None:
    drafts.start("phq-9")

    def edit(document: Any) -> None:
        items = document["$defs"]["phq9"]["properties"]
        items["item1"]["title"] = "Little interest in things"
        items["item2"]["x-hint"] = "In the last fortnight"
        items["item3"]["oneOf"][3]["title"] = "Every day"
        items["item4"]["oneOf"][3]["x-score"] = 4
        items["item5"]["oneOf"].append({"const": 4, "title": "All the time", "x-score": 3})
        items["extra"] = {"type": "string", "title": "Anything else?"}
        order = list(items)
        order.remove("item8")
        order.insert(0, "item8")
        document["$defs"]["phq9"]["properties"] = {name: items[name] for name in order}

    def rules(document: Any) -> None:
        ids = [rule["id"] for rule in document["rules"]]
        document["rules"][ids.index("mood-moderate")]["when"][">="][1] = 12
        document["rules"].insert(
            ids.index("mood-moderate"),
            {"id": "new-flag", "kind": "condition", "when": True, "flag": "always"},
        )
        del document["rules"][ids.index("mood-severe")]

    drafts.edit_json("phq-9", 3, "document", edit)
    drafts.edit_json("phq-9", 3, "rules", rules)
    old, new = get_version(db_session, "phq-9", 2), get_version(db_session, "phq-9", 3)
    db_session.refresh(new)
    from assessment_engine.questionnaires.drafts import check_context
    from assessment_engine.questionnaires.preview import DraftRuntimeCache, runtime_of

    cache = app.extensions["assessment_versions"]
    runtime = runtime_of(
        db_session, cache, DraftRuntimeCache(), lambda: check_context(db_session, cache), new
    )
    result = compare(
        _structure(app, db_session, "phq-9", 2).questionnaire.structure,
        runtime.structure,
        old.rules,
        new.rules,
        old_label="v2",
        new_label="v3",
    )
    text = result.as_text()
    assert "[reworded] /phq9/item1: title: “Little interest or pleasure in doing things”" in text
    assert (
        "[reworded] /phq9/item2: hint: “You may leave this if the person would rather not "
        "answer” → “In the last fortnight”"
    ) in text
    assert "option 3 relabelled: “Nearly every day” → “Every day”" in text
    assert "[scores] /phq9/item4: option 3 (Nearly every day) score 3 → 4" in text
    assert "option 4 added: “All the time”" in text
    assert "[added] /phq9/extra: short_text “Anything else?”" in text
    assert "[moved] /phq9/item8" in text
    assert "[rule-changed] mood-moderate" in text and "/when/>=/1: 10 → 12" in text
    assert "[rule-added] new-flag" in text and "[rule-removed] mood-severe" in text


def test_the_compare_page_shows_the_changes(client, drafts) -> None:
    drafts.start("gad-7")

    def edit(rules: Any) -> None:
        next(r for r in rules["rules"] if r["id"] == "mood-moderate")["title"] = "Moderate anxiety"

    drafts.edit_json("gad-7", 3, "rules", edit)
    html = client.get("/admin/questionnaires/gad-7/compare?from=2&to=3").get_data(as_text=True)
    assert "What changed from version 2 to version 3" in html
    assert 'data-kind="rule-changed"' in html and "mood-moderate" in html
    assert "No question changed." in html


def test_export_and_import_round_trip_as_a_new_draft(client, admin, db_session) -> None:
    from io import BytesIO

    # Version 1 ships a case whose answers it refuses (exempt only for that published version,
    # in v1.cases-exempt.json), so as a new draft its files are refused, naming the case.
    old = client.get("/admin/questionnaires/gad-7/versions/1/export")
    response = client.post_form(
        "/admin/questionnaires/import",
        {"bundle": (BytesIO(old.get_data()), "gad-7.bundle.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "is refused by the questionnaire" in response.get_data(as_text=True)

    exported = client.get("/admin/questionnaires/gad-7/versions/2/export")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    bundle = json.loads(exported.get_data(as_text=True))
    assert set(bundle) == {"key", "version", "document", "rules", "test_cases"}
    part = client.get("/admin/questionnaires/gad-7/versions/2/export?part=rules")
    assert json.loads(part.get_data(as_text=True)) == bundle["rules"]

    response = client.post_form(
        "/admin/questionnaires/import",
        {"bundle": (BytesIO(exported.get_data()), "gad-7.bundle.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    imported = get_version(db_session, "gad-7", 3)
    assert imported is not None and imported.status.value == "draft"
    assert imported.document["$id"].endswith("/gad-7/v3.json")


def test_imports_with_problems_are_refused_with_every_problem(client, admin, db_session) -> None:
    from io import BytesIO

    exported = json.loads(
        client.get("/admin/questionnaires/phq-9/versions/2/export").get_data(as_text=True)
    )
    exported["document"]["$id"] = exported["document"]["$id"].replace("phq-9", "phq-nine")
    exported["document"]["title"] = 7
    exported["rules"]["rules"][0]["items"].append("/phq9/nowhere")
    files = {
        "document": (BytesIO(json.dumps(exported["document"]).encode()), "v1.json"),
        "rules": (BytesIO(json.dumps(exported["rules"]).encode()), "v1.rules.json"),
        "test_cases": (BytesIO(json.dumps(exported["test_cases"]).encode()), "v1.cases.json"),
    }
    response = client.post_form(
        "/admin/questionnaires/import", files, content_type="multipart/form-data"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "nothing was imported" in html and "/title" in html
    assert get_version(db_session, "phq-nine", 1) is None
    exported["document"]["title"] = "PHQ-9 (nine)"
    exported["rules"]["rules"][0]["items"].pop()
    files = {
        "document": (BytesIO(json.dumps(exported["document"]).encode()), "v1.json"),
        "rules": (BytesIO(json.dumps(exported["rules"]).encode()), "v1.rules.json"),
        "test_cases": (BytesIO(json.dumps(exported["test_cases"]).encode()), "v1.cases.json"),
    }
    response = client.post_form(
        "/admin/questionnaires/import", files, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert get_version(db_session, "phq-nine", 1).title == "PHQ-9 (nine)"
