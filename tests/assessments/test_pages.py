"""The assessment pages as an assessor uses them, without JavaScript."""

from __future__ import annotations

import re

from sqlalchemy import select

from assessment_engine.assessments.models import Assessment, AssessmentStatus
from assessment_engine.kernel.actor import Actor

from ..factories import example_answers

FALLS_BASICS = {
    "falls-mobility_indoors": "aid",
    "falls-mobility_outdoors": "with_person",
    "falls-fear_of_falling": "some",
}


def _fresh(db_session, assessment_id) -> Assessment:
    db_session.expire_all()
    return db_session.get(Assessment, assessment_id)


def _start(client, login_as, factories, db_session, answers=None):
    user = login_as("assessor")
    person = factories.client(org=user.organisation.slug)
    db_session.commit()
    response = client.post_form(
        f"/people/{person.id}/assessments", {"questionnaire": "joint-assessment"}
    )
    assert response.status_code == 302
    assessment = db_session.scalar(select(Assessment).where(Assessment.client_id == person.id))
    if answers is not None:
        assessment.answers = answers
        db_session.commit()
    return user, assessment


def test_start_shows_the_task_list_of_every_section(client, login_as, factories, db_session):
    _user, assessment = _start(client, login_as, factories, db_session)
    html = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    for title in ("About the person", "Falls and mobility", "Personal care", "Mood and anxiety"):
        assert title in html
    assert html.count("Not started") == 12
    assert assessment.questionnaire_version.version == 3  # the latest published


def test_save_and_continue_stores_the_section_and_goes_on(client, login_as, factories, db_session):
    _user, assessment = _start(client, login_as, factories, db_session)
    response = client.post_form(
        f"/assessments/{assessment.id}/sections/falls",
        {"version": assessment.version, "action": "save", "falls-fallen": "false", **FALLS_BASICS},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/assessments/{assessment.id}/sections/personal_care"
    )
    saved = _fresh(db_session, assessment.id).answers["falls"]
    assert saved["fallen"] is False and saved["mobility_indoors"] == "aid"
    html = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "Needs attention" in html or "Completed" in html


def test_a_wrong_answer_is_shown_at_its_field_and_nothing_is_saved(
    client, login_as, factories, db_session
) -> None:
    _user, assessment = _start(
        client, login_as, factories, db_session, answers={"falls": {"fallen": False}}
    )
    response = client.post_form(
        f"/assessments/{assessment.id}/sections/falls",
        {
            "version": assessment.version,
            "action": "save",
            "falls-fallen": "true",
            "falls-falls_count": "lots",
            **FALLS_BASICS,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html and 'href="#falls-falls_count"' in html
    assert 'value="lots"' in html  # what was typed is shown back
    assert _fresh(db_session, assessment.id).answers == {"falls": {"fallen": False}}


def test_a_conditional_question_appears_after_saving_without_javascript(
    client, login_as, factories, db_session
) -> None:
    _user, assessment = _start(client, login_as, factories, db_session)
    page = f"/assessments/{assessment.id}/sections/falls"
    html = client.get(page).get_data(as_text=True)
    assert 'data-pointer="/falls/falls_count"' in html  # there, but hidden until "yes"
    response = client.post_form(
        page,
        {"version": assessment.version, "action": "save", "falls-fallen": "true", **FALLS_BASICS},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    html = client.get(page).get_data(as_text=True)
    assert "There are more questions in this section" in html


def test_hidden_answers_are_dropped_when_the_condition_no_longer_holds(
    client, login_as, factories, db_session
) -> None:
    _user, assessment = _start(
        client,
        login_as,
        factories,
        db_session,
        answers={"falls": {"fallen": True, "falls_count": 3}},
    )
    client.post_form(
        f"/assessments/{assessment.id}/sections/falls",
        {
            "version": assessment.version,
            "action": "save",
            "falls-fallen": "false",
            "falls-falls_count": "3",
            **FALLS_BASICS,
        },
    )
    assert "falls_count" not in _fresh(db_session, assessment.id).answers["falls"]


def test_add_another_item_to_a_repeating_group_without_javascript(
    client, login_as, factories, db_session
) -> None:
    _user, assessment = _start(client, login_as, factories, db_session)
    response = client.post_form(
        f"/assessments/{assessment.id}/sections/health",
        {"version": assessment.version, "action": "add:/health/medicines"},
    )
    assert response.status_code == 200
    assert 'id="health-medicines-0-name"' in response.get_data(as_text=True)


def test_adding_or_removing_an_item_saves_what_was_typed_and_focuses_the_item(
    client, login_as, factories, db_session
) -> None:
    _user, assessment = _start(client, login_as, factories, db_session)
    page = f"/assessments/{assessment.id}/sections/health"
    typed = {"health-gp_practice": "Crieff Medical Centre", "health-medicines-0-name": "Sertraline"}
    response = client.post_form(
        page, {"version": assessment.version, "action": "add:/health/medicines", **typed}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="health-medicines-1" tabindex="-1" autofocus' in html  # the new item
    saved = _fresh(db_session, assessment.id)
    assert saved.answers["health"]["gp_practice"] == "Crieff Medical Centre"  # "Back" keeps it
    assert saved.answers["health"]["medicines"][0]["name"] == "Sertraline"
    assert f'name="version" value="{saved.version}"' in html  # the next save is not stale
    response = client.post_form(
        page,
        {
            "version": saved.version,
            "action": "remove:/health/medicines/0",
            **typed,
            "health-medicines-1-name": "Ramipril",
        },
    )
    html = response.get_data(as_text=True)
    assert 'id="health-medicines-0" tabindex="-1" autofocus' in html  # in the removed one's place
    assert [
        m["name"] for m in _fresh(db_session, assessment.id).answers["health"]["medicines"]
    ] == ["Ramipril"]
    # A wrong answer elsewhere on the page: shown at its field, rows unchanged, nothing saved.
    response = client.post_form(
        page,
        {
            "version": _fresh(db_session, assessment.id).version,
            "action": "add:/health/medicines",
            **typed,
            "health-medicines-0-name": "x" * 500,
        },
    )
    assert response.status_code == 422
    assert 'id="health-medicines-1"' not in response.get_data(as_text=True)


def test_save_and_continue_needs_the_required_answers_but_save_for_later_does_not(
    client, login_as, factories, db_session
) -> None:
    _user, assessment = _start(client, login_as, factories, db_session)
    page = f"/assessments/{assessment.id}/sections/falls"
    partial = {"falls-fallen": "false", "falls-mobility_indoors": "aid"}
    response = client.post_form(page, {"version": assessment.version, "action": "save", **partial})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        'id="falls-mobility_outdoors-error"' in html and 'href="#falls-mobility_outdoors"' in html
    )
    assert "Select an answer for \u2018" in html  # the question is named
    assert _fresh(db_session, assessment.id).answers["falls"]["mobility_indoors"] == "aid"
    response = client.post_form(
        page,
        {
            "version": _fresh(db_session, assessment.id).version,
            "action": "save_and_return",
            **partial,
        },
    )
    assert response.status_code == 302
    html = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "Needs attention" in html
    assert "Your answers to \u2018Falls and mobility\u2019 have been saved." in html
    check = client.get(f"/assessments/{assessment.id}/check").get_data(as_text=True)
    assert "Not answered (required)" in check


def test_a_stale_save_shows_what_changed_and_keeps_what_was_typed(
    client, login_as, factories, db_session
) -> None:
    _user, assessment = _start(client, login_as, factories, db_session)
    loaded = assessment.version
    other = factories.user("assessor", org="nhs-tayside", name="Priya Shah")
    from assessment_engine.assessments import services

    prepared = services.prepare_version(
        db_session,
        client.application.extensions["assessment_versions"],
        assessment.questionnaire_version,
    )
    services.save_answers(
        db_session,
        Actor.for_user(other),
        assessment,
        prepared,
        {"falls": {"fallen": False, "mobility_indoors": "independent"}},
        expected_version=loaded,
        section="falls",
    )
    db_session.commit()
    response = client.post_form(
        f"/assessments/{assessment.id}/sections/falls",
        {"version": loaded, "action": "save", "falls-fallen": "false", **FALLS_BASICS},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Priya Shah changed" in html and "Nothing you typed has been lost" in html
    assert "(changed)" in html
    assert 'name="falls-mobility_indoors" value="aid"' in html  # kept to save again
    stored = _fresh(db_session, assessment.id)
    assert stored.answers["falls"]["mobility_indoors"] == "independent"  # theirs, not overwritten
    response = client.post_form(
        f"/assessments/{assessment.id}/sections/falls",
        {
            "version": stored.version,
            "action": "save_and_return",
            "falls-fallen": "false",
            **FALLS_BASICS,
        },
    )
    assert response.status_code == 302
    assert _fresh(db_session, assessment.id).answers["falls"]["mobility_indoors"] == "aid"


def test_check_answers_lists_answers_with_change_links(client, login_as, factories, db_session):
    _user, assessment = _start(
        client, login_as, factories, db_session, answers=example_answers("carer-under-strain")
    )
    html = client.get(f"/assessments/{assessment.id}/check").get_data(as_text=True)
    assert "Check your answers before submitting" in html
    change = f"/assessments/{assessment.id}/sections/falls?from=check"
    assert f'href="{change}#falls-fallen"' in html
    # A Change link's page goes back to check answers once saved, not on to the next section.
    section = client.get(change).get_data(as_text=True)
    assert "Back to check your answers" in section and 'name="from" value="check"' in section
    stored = _fresh(db_session, assessment.id)
    answers = {"version": stored.version, "action": "save", "falls-fallen": "false"}
    response = client.post_form(
        f"/assessments/{assessment.id}/sections/falls",
        {**answers, **FALLS_BASICS, "from": "check"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/assessments/{assessment.id}/check")
    # Without it, "Save and continue" goes on to the next section as before.
    answers["version"] = _fresh(db_session, assessment.id).version
    onward = client.post_form(
        f"/assessments/{assessment.id}/sections/falls", {**answers, **FALLS_BASICS}
    )
    assert onward.status_code == 302 and "/sections/" in onward.location


def test_submitting_an_incomplete_assessment_lists_what_is_missing(
    client, login_as, factories, db_session
) -> None:
    answers = example_answers("carer-under-strain")
    del answers["home"]
    del answers["about"]["lives_with"]
    _user, assessment = _start(client, login_as, factories, db_session, answers=answers)
    response = client.post_form(
        f"/assessments/{assessment.id}/submit", {"version": assessment.version}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Some sections need more answers" in html
    # Each error names its question and links to the field itself, which shows the error.
    about = f"/assessments/{assessment.id}/sections/about?check=1#about-lives_with"
    assert f'href="{about}"' in html
    assert "Select an answer for \u2018Who does the person live with?\u2019" in html
    assert f'href="/assessments/{assessment.id}/sections/home?check=1#home-' in html
    assert html.count("Not answered (required)") >= 1  # on check answers, beside the row
    assert _fresh(db_session, assessment.id).status == AssessmentStatus.DRAFT
    shown = client.get(about).get_data(as_text=True)
    assert 'id="about-lives_with-error"' in shown


def test_submitting_a_complete_assessment_shows_the_outcome(
    client, login_as, factories, db_session
) -> None:
    _user, assessment = _start(
        client, login_as, factories, db_session, answers=example_answers("falls-and-nursing-tasks")
    )
    response = client.post_form(
        f"/assessments/{assessment.id}/submit",
        {"version": assessment.version},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Falls service" in html or "falls" in html.lower()
    assert _fresh(db_session, assessment.id).status == AssessmentStatus.SUBMITTED
    # Submitted: the section pages no longer accept edits.
    response = client.post_form(
        f"/assessments/{assessment.id}/sections/falls", {"version": 99, "falls-fallen": "true"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/outcome")


def test_an_unknown_section_is_404(client, login_as, factories, db_session) -> None:
    _user, assessment = _start(client, login_as, factories, db_session)
    assert client.get(f"/assessments/{assessment.id}/sections/nope").status_code == 404


def test_a_section_page_reads_each_thing_once(client, login_as, factories, db_session) -> None:
    # Nothing the page loaded is loaded again after its audit commit (a GET keeps what it
    # read), and the page costs the same number of statements with more answers.
    from sqlalchemy import event

    _user, assessment = _start(
        client, login_as, factories, db_session, example_answers("falls-and-nursing-tasks")
    )
    url = f"/assessments/{assessment.id}/sections/health"
    client.get(url)

    def statements() -> list[str]:
        seen: list[str] = []
        bind = db_session.connection()
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(bind, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(bind, "before_cursor_execute", listener)
        return [s for s in seen if s.lstrip().upper().startswith("SELECT")]

    selects = statements()
    # (Statements without a table, such as PostgreSQL's audit chain lock, do not count.)
    tables = [found.group(1) for s in selects if (found := re.search(r"\bFROM\s+(\w+)", s))]
    assert len(tables) == len(set(tables)), tables


def test_a_total_carries_what_the_live_total_needs(client, login_as, factories, db_session):
    """calculated.js reads each summed question's input name and its options' scores from the
    total's data-calculated; the server's total of the saved answers is shown without it."""
    import html as html_lib
    import json as json_lib
    import re as re_lib

    _user, assessment = _start(
        client, login_as, factories, db_session, answers=example_answers("carer-under-strain")
    )
    page = client.get(f"/assessments/{assessment.id}/sections/mood").get_data(as_text=True)
    found = re_lib.search(r'id="mood-phq9-total" data-calculated="([^"]*)"', page)
    assert found, "the PHQ-9 total has no data-calculated"
    described = json_lib.loads(html_lib.unescape(found[1]))
    names = [item["name"] for item in described["of"]]
    assert names == [f"mood-phq9-item{n}" for n in range(1, 10)]
    assert all(f'name="{name}"' in page for name in names)
    assert described["of"][0]["scores"] == {"0": 0, "1": 1, "2": 2, "3": 3}
    saved = sum(example_answers("carer-under-strain")["mood"]["phq9"].values())
    assert re_lib.search(rf'id="mood-phq9-total".*?<dd[^>]*>\s*{saved}\s*</dd>', page, re_lib.S)
