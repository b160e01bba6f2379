"""The Python renderer of section fields gives the GOV.UK Frontend macros' own markup.

``assessment_engine/forms/markup.py`` replaced the GOV.UK Frontend Jinja macros on section
pages for speed. Here both render the same forms: the Python functions, and the original macros
(``reference_macros.html`` calling ``govukInput``, ``govukRadios`` and the rest from the
installed ``govuk-frontend-jinja``). The markup must be identical but for whitespace: a run of
spaces and newlines counts as one space, and whitespace between two tags is ignored (it only
shows between inline elements; the one place it matters here, between the day, month and year
boxes, has a test of its own).

Forms: every section of every bundled questionnaire, empty, with the joint assessment's example
answers, with an error on every question; the questionnaire with every kind of question, with
hostile texts; and hypothesis-generated posts (valid and junk answers, repeat items, type
errors) for every section of the joint assessment and that questionnaire.
"""

from __future__ import annotations

import re
import weakref
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from assessment_engine.forms import apply_errors, section_form
from assessment_engine.forms.builder import SectionForm
from assessment_engine.forms.markup import section_markup
from assessment_engine.forms.naming import encode_name
from assessment_engine.questionnaires.catalogue import Catalogue
from assessment_engine.questionnaires.compiled import CompiledQuestionnaire
from assessment_engine.questionnaires.structure import Question

from .conftest import compile_document, kitchen_sink
from .test_property import _object, _without_empty_groups, encode

pytestmark = pytest.mark.usefixtures("request_context")

HOSTILE = "<script>alert('x')</script> & \"quoted\""


_ENVIRONMENTS: weakref.WeakKeyDictionary[Flask, Environment] = weakref.WeakKeyDictionary()


def _reference(form: SectionForm, default_action: str | None = "save") -> str:
    # One environment per application, so that the macros are compiled once, not per render.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    environment = _ENVIRONMENTS.get(app)
    if environment is None:
        loader = ChoiceLoader([FileSystemLoader(Path(__file__).parent), app.jinja_env.loader])
        environment = _ENVIRONMENTS[app] = app.jinja_env.overlay(loader=loader)
    template = environment.from_string(
        '{% from "reference_macros.html" import section_fields %}'
        "{{ section_fields(form, default_action) }}"
    )
    return template.render(form=form, default_action=default_action)


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def assert_same_markup(form: SectionForm) -> None:
    expected = _squeeze(_reference(form))
    actual = _squeeze(str(section_markup(form)))
    if expected != actual:
        # Show the first difference with some context rather than two walls of HTML.
        at = next(
            (i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
            min(len(expected), len(actual)),
        )
        raise AssertionError(
            f"markup differs at {at}:\n  macros: ...{expected[max(0, at - 120) : at + 120]}\n"
            f"  python: ...{actual[max(0, at - 120) : at + 120]}"
        )


def _every_section(catalogue: Catalogue) -> list[tuple[str, int, str]]:
    return [
        (key, version, section.name)
        for key, version in catalogue
        for section in catalogue.get(key, version).structure.sections
    ]


def _with_every_error(form: SectionForm) -> SectionForm:
    apply_errors(form, {pointer: [f"Check {pointer} <now> & again"] for pointer in form.entries})
    return form


def test_every_bundled_section_empty_and_with_every_error(catalogue: Catalogue) -> None:
    sections = _every_section(catalogue)
    assert len(sections) >= 14
    for key, version, name in sections:
        questionnaire = catalogue.get(key, version)
        assert_same_markup(section_form(questionnaire, name, {}))
        assert_same_markup(_with_every_error(section_form(questionnaire, name, {})))


def test_the_joint_assessment_examples(
    joint: CompiledQuestionnaire, examples: dict[str, dict[str, Any]]
) -> None:
    for answers in examples.values():
        for section in joint.structure.sections:
            assert_same_markup(section_form(joint, section.name, answers))
            assert_same_markup(_with_every_error(section_form(joint, section.name, answers)))


@pytest.mark.parametrize("text", [None, HOSTILE])
def test_every_kind_of_question(text: str | None) -> None:
    sink = compile_document(kitchen_sink(title=text, hint=text, label=text))
    name = sink.structure.sections[0].name
    assert_same_markup(section_form(sink, name, {}))
    assert_same_markup(_with_every_error(section_form(sink, name, {})))
    if text:
        assert "<script>" not in str(section_markup(section_form(sink, name, {})))


def test_without_the_default_action_button(joint: CompiledQuestionnaire) -> None:
    form = section_form(joint, "health", {})
    assert form.has_repeats
    assert _squeeze(_reference(form, None)) == _squeeze(str(section_markup(form, None)))
    assert 'value="save"' not in str(section_markup(form, None))


def test_date_boxes_are_apart_as_the_macros_put_them(joint: CompiledQuestionnaire) -> None:
    # The day, month and year boxes are inline blocks: whitespace between them is a gap.
    form = section_form(joint, "about", {})
    between = r"</div>(\s*)<div class=\"govuk-date-input__item\">"
    assert re.findall(between, _reference(form))
    assert all(re.findall(between, _reference(form)))
    assert all(re.findall(between, str(section_markup(form))))


def _check_posted(questionnaire: CompiledQuestionnaire, section: Question) -> None:
    prefix = encode_name(section.name)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        answers=st.one_of(_object(section.children, True), _object(section.children, False)),
        errors=st.booleans(),
    )
    def check(answers: dict[str, Any], errors: bool) -> None:
        data = encode(section.children, _without_empty_groups(section, answers), prefix)
        form = section_form(questionnaire, section.name, {}, data)
        assert_same_markup(_with_every_error(form) if errors else form)

    check()


def _posted(questionnaire: CompiledQuestionnaire) -> None:
    for section in questionnaire.structure.sections:
        _check_posted(questionnaire, section)


def test_posted_answers_of_the_joint_assessment(joint: CompiledQuestionnaire) -> None:
    _posted(joint)


def test_posted_answers_of_every_kind_of_question(sink: CompiledQuestionnaire) -> None:
    _posted(sink)
