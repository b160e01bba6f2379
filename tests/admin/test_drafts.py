"""Drafts: start, save with every problem shown, concurrency, publish, retire, immutability."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from assessment_engine.assessments.services import (
    AssessmentError,
    latest_published,
    save_answers,
    start_assessment,
)
from assessment_engine.kernel.actor import Actor
from assessment_engine.questionnaires import drafts as draft_services
from assessment_engine.questionnaires.checks import DraftTexts
from assessment_engine.questionnaires.documents import document_uri
from assessment_engine.questionnaires.models import (
    ImmutableRecordError,
    QuestionnaireVersion,
    VersionStatus,
)
from assessment_engine.questionnaires.runtime import checksum
from assessment_engine.questionnaires.services import find_version
from assessment_engine.records.models import AuditEvent

from ..factories import example_answers
from .conftest import revision_of

get_version = partial(find_version, drafts=True)


def _events(db_session: Any, action: str, record_id: object = None) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    if record_id is not None:
        query = query.where(AuditEvent.record_id == str(record_id))
    return int(db_session.scalar(query))


def test_the_library_lists_every_questionnaire_with_versions_and_usage(
    client, admin, factories
) -> None:
    factories.assessment(key="phq-9")
    html = client.get("/admin/questionnaires").get_data(as_text=True)
    for title in ("PHQ-9", "GAD-7", "Joint Single Shared Assessment"):
        assert title in html
    phq9 = html[html.index('id="questionnaire-phq-9"') :]
    phq9 = phq9[: phq9.index("</section>")]
    assert 'data-status="published"' in phq9
    assert 'data-usage="1"' in phq9 and "1 in progress" in phq9


def test_a_new_draft_copies_the_latest_version_as_the_next_number(
    client, drafts, db_session
) -> None:
    number = drafts.start("phq-9")
    assert number == 3
    texts = drafts.texts("phq-9", 3)
    assert json.loads(texts["document"])["$id"] == document_uri("phq-9", 3)
    # the copy keeps the bundled file's order and formatting, not the database's
    assert texts["document"].index('"$schema"') < texts["document"].index('"properties"')
    html = drafts.page("phq-9", 3)
    assert "No problems" in html and 'name="revision" value="1"' in html
    assert "Test cases: 14 of 14 pass" in html
    assert _events(db_session, "questionnaire.draft") == 1
    library = client.get("/admin/questionnaires").get_data(as_text=True)
    assert "Edit the draft, version 3" in library


def test_only_one_draft_at_a_time(client, drafts, db_session) -> None:
    drafts.start("gad-7")
    response = client.post_form("/admin/questionnaires/gad-7/drafts", follow_redirects=True)
    assert "already has a draft, version 3" in response.get_data(as_text=True)
    gad7 = get_version(db_session, "gad-7", 4)
    assert gad7 is None


def _broken_document(texts: dict[str, str]) -> str:
    document = json.loads(texts["document"])
    items = document["$defs"]["phq9"]["properties"]
    items["item1"]["type"] = "strin"  # JSON Schema meta-schema
    items["item2"]["x-colour"] = "red"  # our extension meta-schema
    items["item3"]["x-widget"] = "slider"  # an x-widget value we do not have
    items["note"] = {"type": "string", "title": "Note", "pattern": "(a+)+$"}  # backtracking
    items["when"] = {"type": "null", "title": "Unsupported"}  # unsupported question type
    return json.dumps(document, indent=2)


def _broken_rules(texts: dict[str, str]) -> dict[str, str]:
    document = json.loads(texts["document"])
    document["$defs"]["phq9"]["properties"]["item4"]["x-hint"] = 42  # meta-schema only
    rules = json.loads(texts["rules"])
    rules["rules"][0]["items"].append("/phq9/item99")  # unknown question
    rules["rules"][4]["when"] = {">=": [{"var": "scores.nope"}, 10]}  # unknown score
    return {"document": json.dumps(document, indent=2), "rules": json.dumps(rules, indent=2)}


def test_saving_shows_every_problem_at_once_with_pointer_and_line(drafts, db_session) -> None:
    drafts.start("phq-9")
    broken = _broken_document(drafts.texts("phq-9", 3))
    response = drafts.save("phq-9", 3, document=broken)
    assert response.status_code == 302  # saved, problems and all: work is never lost
    html = drafts.page("phq-9", 3)
    assert drafts.texts("phq-9", 3)["document"] == broken
    line_of_item1 = next(i for i, text in enumerate(broken.splitlines(), 1) if '"strin"' in text)
    assert f"phq-9/v3.json, line {line_of_item1}" in html
    for pointer in (
        "/$defs/phq9/properties/item1/type",
        "/$defs/phq9/properties/item2/x-colour",
        "/$defs/phq9/properties/item3/x-widget",
        "/$defs/phq9/properties/note/pattern",
        "/$defs/phq9/properties/when/type",
    ):
        assert f'<code class="app-pointer">{pointer}</code>' in html, pointer
    assert "[meta-schema]" in html and "[extensions]" in html and "[renderer]" in html
    assert "exponential time" in html  # the backtracking pattern
    assert "the form cannot render a question of type &#39;null&#39;" in html
    assert "disabled" in html.split("Publish version 3")[0].rsplit("<button", 1)[1]
    response = drafts.publish("phq-9", 3)
    assert response.status_code == 422
    assert get_version(db_session, "phq-9", 3).status == VersionStatus.DRAFT


def test_rule_references_are_shown_beside_document_problems(drafts) -> None:
    drafts.start("phq-9")
    broken = _broken_rules(drafts.texts("phq-9", 3))
    assert drafts.save("phq-9", 3, **broken).status_code == 302
    html = drafts.page("phq-9", 3)
    assert "/$defs/phq9/properties/item4/x-hint" in html  # the document's problem
    assert "phq-9/v3.rules.json, line" in html
    assert "item99" in html and "nope" in html  # rule references, with pointers
    assert '<code class="app-pointer">/rules/0/items/9</code>' in html
    assert drafts.publish("phq-9", 3).status_code == 422


def test_json_syntax_errors_are_saved_and_shown_with_their_line(drafts, db_session) -> None:
    drafts.start("gad-7")
    before = get_version(db_session, "gad-7", 3).document
    text = drafts.texts("gad-7", 3)["document"].replace('"title": "GAD-7",', '"title": "GAD-7"', 1)
    rules = '{\n  "rules": [\n    {"id": "x",}\n  ]\n}\n'
    assert drafts.save("gad-7", 3, document=text, rules=rules).status_code == 302
    html = drafts.page("gad-7", 3)
    assert drafts.texts("gad-7", 3)["document"] == text
    assert "gad-7/v3.json, line 5" in html and "not valid JSON" in html
    assert "gad-7/v3.rules.json, line 3" in html
    db_session.expire_all()
    assert get_version(db_session, "gad-7", 3).document == before  # the last text that parsed


def test_cycles_thresholds_and_size_limits(drafts) -> None:
    drafts.start("gad-7")
    rules = json.loads(drafts.texts("gad-7", 3)["rules"])
    rules["rules"][1]["bands"][1]["min"] = 3  # overlaps the band before
    rules["rules"].append(
        {"id": "loop-a", "kind": "condition", "when": {"var": "flags.b"}, "flag": "a"}
    )
    rules["rules"].append(
        {"id": "loop-b", "kind": "condition", "when": {"var": "flags.a"}, "flag": "b"}
    )
    drafts.save("gad-7", 3, rules=json.dumps(rules, indent=2))
    html = drafts.page("gad-7", 3)
    assert "cycle" in html.lower()
    assert "/rules/1/bands" in html
    huge = json.dumps({"cases": [], "padding": "x" * (600 * 1024)})
    drafts.save("gad-7", 3, test_cases=huge)
    html = drafts.page("gad-7", 3)
    assert "the limit is 524288" in html


def test_a_stale_save_is_refused_and_loses_nothing(client, drafts, db_session) -> None:
    drafts.start("gad-7")
    page = drafts.page("gad-7", 3)
    old_revision = revision_of(page)
    first = drafts.texts("gad-7", 3)["document"].replace("GAD-7", "GAD-7 (first)", 1)
    assert drafts.save("gad-7", 3, revision=old_revision, document=first).status_code == 302
    mine = drafts.texts("gad-7", 3)["document"].replace("GAD-7 (first)", "GAD-7 (mine)", 1)
    response = drafts.save("gad-7", 3, revision=old_revision, document=mine)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved this draft since you opened it" in html
    assert "GAD-7 (mine)" in html and "GAD-7 (first)" in html  # mine kept, theirs shown
    assert drafts.texts("gad-7", 3)["document"] == first
    assert revision_of(html) == "2"  # saving again (after reading theirs) is allowed
    assert drafts.save("gad-7", 3, revision="2", document=mine).status_code == 302


def test_publishing_pins_old_assessments_and_new_ones_use_the_new_version(
    client, drafts, db_session, factories
) -> None:
    before = factories.assessment(key="phq-9")
    drafts.start("phq-9")

    def reword(document: Any) -> None:
        document["$defs"]["phq9"]["properties"]["item1"]["title"] = "Little interest in things"

    drafts.edit_json("phq-9", 3, "document", reword)
    response = drafts.publish("phq-9", 3)
    assert response.status_code == 302
    published = get_version(db_session, "phq-9", 3)
    db_session.refresh(published)
    assert published.status == VersionStatus.PUBLISHED
    assert published.published_at is not None and published.published_by_id is not None
    assert _events(db_session, "questionnaire.publish", published.id) == 1
    assert latest_published(db_session, "phq-9").version == 3
    db_session.refresh(before)
    assert before.questionnaire_version.version == 2  # the latest bundled when it started
    after = factories.assessment(key="phq-9")
    assert after.questionnaire_version.version == 3


def test_retired_versions_cannot_start_assessments_but_in_progress_ones_continue(
    client, drafts, db_session, factories, app
) -> None:
    in_progress = factories.assessment(key="gad-7")
    drafts.start("gad-7")
    assert drafts.publish("gad-7", 3).status_code == 302
    response = client.post_form("/admin/questionnaires/gad-7/versions/2/retire")
    assert response.status_code == 302
    v1 = get_version(db_session, "gad-7", 2)  # the version the assessment is on
    db_session.refresh(v1)
    assert v1.status == VersionStatus.RETIRED and v1.retired_at is not None
    actor = Actor.command_line(in_progress.organisation_id)
    with pytest.raises(AssessmentError):
        start_assessment(db_session, actor, in_progress.client, v1)
    from assessment_engine.questionnaires.services import prepared

    ready = prepared(db_session, app.extensions["assessment_versions"], v1)
    answers = example_answers("moderate", "gad-7")
    save_answers(db_session, actor, in_progress, ready, answers, expected_version=None)
    assert in_progress.questionnaire_version_id == v1.id
    assert in_progress.answers == answers


def test_a_published_version_cannot_be_edited_by_any_route(client, admin, db_session) -> None:
    v1 = get_version(db_session, "phq-9", 1)
    original = v1.checksum
    base = "/admin/questionnaires/phq-9/versions/1"
    texts = {"document": "{}", "rules": "{}", "test_cases": "{}", "revision": "1"}
    assert client.post_form(base, texts).status_code == 409
    assert client.post_form(f"{base}/publish", {"revision": "1"}).status_code == 409
    assert client.post_form(f"{base}/delete").status_code == 409
    page = client.get(base).get_data(as_text=True)
    assert "can never change" in page and 'id="editor-form"' not in page and "readonly" in page
    db_session.refresh(v1)
    assert v1.checksum == original and v1.status == VersionStatus.PUBLISHED


def test_the_services_refuse_to_change_a_published_version(app, db_session, factories) -> None:
    admin = factories.user("administrator")
    actor = Actor.for_user(admin)
    v1 = get_version(db_session, "phq-9", 1)
    context = draft_services.check_context(db_session, app.extensions["assessment_versions"])
    texts = DraftTexts("{}", "{}", "{}")
    with pytest.raises(draft_services.AdminError):
        draft_services.save_draft(db_session, actor, context, v1, texts, expected_revision=1)
    with pytest.raises(draft_services.AdminError):
        draft_services.publish(db_session, actor, context, v1, expected_revision=1)
    v1.document = {"title": "changed"}
    with pytest.raises(ImmutableRecordError):
        db_session.flush()


def test_the_publish_service_never_publishes_an_invalid_draft(app, db_session, factories) -> None:
    admin = factories.user("administrator")
    actor = Actor.for_user(admin)
    context = draft_services.check_context(db_session, app.extensions["assessment_versions"])
    questionnaire = get_version(db_session, "gad-7", 1).questionnaire
    form_schemas = app.extensions["assessment_versions"].form_schemas
    draft = draft_services.new_draft(db_session, actor, context, questionnaire, form_schemas)
    texts = draft_services.source_texts(db_session, draft, form_schemas)
    document = texts.document.replace('"type": "object"', '"type": "objekt"', 1)
    broken = DraftTexts(document, texts.rules, texts.test_cases)
    draft_services.save_draft(db_session, actor, context, draft, broken, expected_revision=1)
    with pytest.raises(draft_services.DraftRefused) as refused:
        draft_services.publish(db_session, actor, context, draft, expected_revision=2)
    assert refused.value.problems
    assert draft.status == VersionStatus.DRAFT


def test_failing_test_cases_block_publishing_until_fixed(drafts, db_session) -> None:
    drafts.start("phq-9")

    def raise_threshold(rules: Any) -> None:
        mood_moderate = next(r for r in rules["rules"] if r["id"] == "mood-moderate")
        mood_moderate["when"][">="][1] = 12

    def hint(document: Any) -> None:
        document["$defs"]["phq9"]["properties"]["item4"]["x-hint"] = 42

    drafts.edit_json("phq-9", 3, "rules", raise_threshold)
    drafts.edit_json("phq-9", 3, "document", hint)
    assert drafts.publish("phq-9", 3).status_code == 422
    html = drafts.page("phq-9", 3)
    assert "phq-9/v3.cases.json, line" in html
    assert "PHQ-9 total 10 is moderate" in html and "services are []" in html
    assert "/$defs/phq9/properties/item4/x-hint" in html  # beside the document's problem

    def unhint(document: Any) -> None:
        del document["$defs"]["phq9"]["properties"]["item4"]["x-hint"]

    drafts.edit_json("phq-9", 3, "document", unhint)

    def fix_cases(cases: Any) -> None:
        for case in cases["cases"]:
            if case["name"] == "PHQ-9 total 10 is moderate":
                case["expect"].update(route="community", priority="no_risk", services=[])

    drafts.edit_json("phq-9", 3, "test_cases", fix_cases)
    assert drafts.publish("phq-9", 3).status_code == 302


def test_a_draft_can_be_deleted_but_nothing_else(client, drafts, db_session) -> None:
    drafts.start("gad-7")
    assert client.post_form("/admin/questionnaires/gad-7/versions/3/delete").status_code == 302
    assert get_version(db_session, "gad-7", 3) is None
    assert _events(db_session, "questionnaire.discard") == 1


def test_a_draft_without_saved_texts_opens_saves_and_publishes_here(
    app, client, drafts, db_session, factories
) -> None:
    """A draft version stored without the texts the editor keeps (revision 0)."""
    latest = get_version(db_session, "gad-7", 2)
    document = json.loads(json.dumps(latest.document))
    document["$id"] = document_uri("gad-7", 3)
    db_session.add(
        QuestionnaireVersion(
            questionnaire_id=latest.questionnaire_id,
            version=3,
            status=VersionStatus.DRAFT,
            title="GAD-7",
            document=document,
            rules=latest.rules,
            test_cases=latest.test_cases,
            checksum=checksum(document, latest.rules, latest.test_cases),
            created_by_id=factories.user("administrator").id,
        )
    )
    db_session.commit()
    page = drafts.page("gad-7", 3)
    assert 'name="revision" value="0"' in page
    response = drafts.publish("gad-7", 3)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert get_version(db_session, "gad-7", 3).status == VersionStatus.PUBLISHED
