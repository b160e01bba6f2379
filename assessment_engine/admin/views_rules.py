"""Rules and test cases without JSON (routes of the ``admin`` blueprint, administrators only).

The rules page says every rule in words; the builders add a banded sum, a flag or a referral,
change a sum's bands and remove a rule, each written into the same rules document and checked
before it is saved. Test cases are saved from the preview's answers and decision. Views parse
the form and call the builders (``questionnaires.rule_editing``, ``case_editing``) and the
saving service (``questionnaires.draft_edits``); the page edge commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..pages import attempt, page
from ..questionnaires import case_editing, drafts, preview, rule_editing
from ..questionnaires.checks import DraftCheck, check_draft, file_names
from ..questionnaires.draft_edits import save_part
from ..questionnaires.models import QuestionnaireVersion, VersionStatus
from ..questionnaires.structure import QuestionType, Structure
from .rule_forms import (
    BandedSumForm,
    BandsForm,
    CaseForm,
    FlagForm,
    FlagSubjectForm,
    ReferralForm,
    RemoveForm,
)
from .views import (
    actor,
    bp,
    check_context,
    form_schemas,
    revision_number,
    version_or_404,
    version_runtime,
)
from .what_if import Referred

_BASE = "/questionnaires/<key>/versions/<int:number>"


class _Draft:
    """The draft being edited: its checked texts, question structure and services."""

    def __init__(self, key: str, number: int) -> None:
        self.version: QuestionnaireVersion = version_or_404(key, number)
        self.key, self.number = key, number
        texts = drafts.source_texts(db.session, self.version, form_schemas())
        self.context = check_context()
        self.check: DraftCheck = check_draft(texts, key=key, version=number, context=self.context)
        self.runtime = version_runtime(self.version)
        self.revision = drafts.current_revision(db.session, self.version)

    @property
    def editable(self) -> bool:
        return self.version.status == VersionStatus.DRAFT

    @property
    def structure(self) -> Structure:
        if self.runtime.structure is None:
            document = file_names(self.key, self.number)["document"]
            _cannot_build(
                self,
                "The questions have problems to fix first",
                "The rules are built from the questions, and the questionnaire text of this "
                "draft has problems, so its questions cannot be read. Nothing was changed.",
                [p for p in self.check.problems if p.file == document],
            )
        return self.runtime.structure

    @property
    def rules(self) -> dict[str, Any]:
        return self.check.rules or {}

    @property
    def services(self) -> dict[str, Any]:
        return dict(self.context.services)

    def save(self, part: str, value: Any, revision: str | None) -> DraftCheck:
        return save_part(
            db.session,
            actor(),
            self.context,
            self.version,
            form_schemas(),
            part=part,
            value=value,
            expected_revision=revision_number(revision),
            checked=self.check,
        )


def _cannot_build(draft: _Draft, heading: str, reason: str, problems: list[Any]) -> NoReturn:
    """Stop with a page saying why the builders cannot be used here (409, nothing changed)."""
    page = render_template(
        "admin/rules/cannot_build.html",
        version=draft.version,
        heading=heading,
        reason=reason,
        problems=problems,
        published=not draft.editable,
    )
    abort(make_response(page, 409))


def _draft_or_409(key: str, number: int) -> _Draft:
    draft = _Draft(key, number)
    if not draft.editable:
        _cannot_build(
            draft,
            "This version can no longer change",
            f"Version {number} is {draft.version.status.value}: its rules stay as they are. "
            "Start a new draft of the questionnaire to change the rules. Nothing was changed.",
            [],
        )
    return draft


def _rules_url(draft: _Draft, anchor: str = "") -> str:
    return url_for("admin.rules_page", key=draft.key, number=draft.number) + anchor


def _saved(draft: _Draft, result: DraftCheck, what: str) -> Response:
    failing = [r.name for r in result.case_results if not r.passed]
    if failing:
        flash(f"{what} {len(failing)} test case(s) now fail: see them below.", "info")
    else:
        flash(f"{what} The rules have no new problems.", "success")
    return redirect(_rules_url(draft))


def _apply(
    draft: _Draft,
    form: Any,
    part: str,
    build: Callable[[], Any],
    what: str,
) -> Response | None:
    """Build the new document and save it; on a refusal show it on the form and return None."""
    done = attempt(
        lambda: draft.save(part, build(), form.revision.data),
        form,
        refuse=(drafts.AdminError, rule_editing.RuleEditError),
    )
    if done.result is not None:
        return _saved(draft, done.result, what)
    refusal = done.refusal
    if isinstance(refusal, drafts.DraftRefused):
        form.form_errors.extend(
            f"{problem.message} (at {problem.pointer or '/'})" for problem in refusal.problems
        )
    elif isinstance(refusal, drafts.StaleDraft):
        form.form_errors[:] = [
            (
                "Someone else saved this draft since you opened this page. Look at the rules "
                "page to see their change, then send this form again."
            )
        ]
        form.revision.data = str(drafts.current_revision(db.session, draft.version))
    return None


def _render(template: str, draft: _Draft, form: Any, **extra: Any) -> ResponseReturnValue:
    if not form.revision.data:
        form.revision.data = str(draft.revision)
    status = 422 if request.method == "POST" and (form.errors or form.form_errors) else 200
    return render_template(template, draft=draft, version=draft.version, form=form, **extra), status


# ------------------------------------------------------------------------------ the page


@bp.get(f"{_BASE}/rules")
def rules_page(key: str, number: int) -> ResponseReturnValue:
    """The version's rules in words and its test cases, failing ones named on their rules
    and questions."""
    draft = _Draft(key, number)
    structure = draft.runtime.structure
    expectations = case_editing.case_expectations(draft.check.cases)
    cases = [
        (
            result,
            case_editing.concerns(
                result,
                expectations[index] if index < len(expectations) else {},
                draft.rules,
                structure,
            )
            if not result.passed
            else None,
        )
        for index, result in enumerate(draft.check.case_results)
    ]
    rules_file = file_names(key, number)["rules"]
    return render_template(
        "admin/rules/index.html",
        draft=draft,
        version=draft.version,
        views=rule_editing.describe(draft.rules, structure, draft.services),
        rule_problems=[p for p in draft.check.problems if p.file == rules_file],
        cases=cases,
        remove=RemoveForm(revision=str(draft.revision)),
        routes=rule_editing.service_kind_words(draft.context.services.values()),
    )


# ------------------------------------------------------------------------------ builders


def _question_choices(questions: Any) -> list[SelectChoice]:
    return [SelectChoice(q.pointer, q.title) for q in questions]


@bp.route(f"{_BASE}/rules/sum", methods=["GET", "POST"])
@page
def new_sum(key: str, number: int) -> ResponseReturnValue:
    draft = _draft_or_409(key, number)
    form = BandedSumForm()
    form.questions.choices = _question_choices(rule_editing.summable(draft.structure))
    if form.validate_on_submit():
        bands = form.bands()
        if not form.has_errors():
            saved = _apply(
                draft,
                form,
                "rules",
                lambda: rule_editing.add_banded_sum(
                    draft.rules,
                    draft.structure,
                    title=form.title.data or "",
                    pointers=list(form.questions.data or []),
                    bands=bands,
                    unanswered=form.unanswered.data or "require",
                ),
                f"The total {form.title.data} and its bands were added.",
            )
            if saved is not None:
                return saved
    return _render("admin/rules/sum.html", draft, form)


@bp.route(f"{_BASE}/rules/<rule_id>/bands", methods=["GET", "POST"])
@page
def edit_bands(key: str, number: int, rule_id: str) -> ResponseReturnValue:
    draft = _draft_or_409(key, number)
    try:
        current = rule_editing.bands_of(draft.rules, rule_id)
    except rule_editing.RuleEditError:
        abort(404)
    form = BandsForm()
    if form.validate_on_submit():
        bands = form.bands()
        if not form.has_errors():
            saved = _apply(
                draft,
                form,
                "rules",
                lambda: rule_editing.set_bands(draft.rules, rule_id, bands),
                "The bands were saved.",
            )
            if saved is not None:
                return saved
    elif request.method == "GET":
        form.fill(current)
    title = next(
        (v.title for v in rule_editing.describe(draft.rules, None, {}) if v.id == rule_id), rule_id
    )
    return _render("admin/rules/bands.html", draft, form, rule_id=rule_id, title=title)


def _subjects(draft: _Draft) -> list[SelectChoice]:
    choices = [SelectChoice("", "Choose a question or a total")]
    choices += _question_choices(rule_editing.comparable(draft.structure))
    choices += [
        SelectChoice(f"scores.{name}", f"The total {name}")
        for name in rule_editing.written(draft.rules, "scores")
    ]
    return choices


@bp.route(f"{_BASE}/rules/flag", methods=["GET", "POST"])
@page
def new_flag(key: str, number: int) -> ResponseReturnValue:
    """A flag in two steps: which answer (a GET form), then how it is compared."""
    draft = _draft_or_409(key, number)
    subject = request.values.get("subject", "")
    question = draft.structure.questions.get(subject)
    if question is not None and question not in rule_editing.comparable(draft.structure):
        question = None
    total = subject.startswith("scores.") and subject[len("scores.") :] in rule_editing.written(
        draft.rules, "scores"
    )
    if question is None and not total:
        chooser = FlagSubjectForm(request.args)
        chooser.subject.choices = _subjects(draft)
        status = 200
        if "subject" in request.values:  # chosen, but not something a flag can test
            chooser.subject.errors = ["Choose a question or a total"]
            status = 422
        return render_template(
            "admin/rules/flag_subject.html", draft=draft, version=draft.version, form=chooser
        ), status
    form = FlagForm()
    form.subject.data = subject
    options = rule_editing.option_choices(question) if question is not None else []
    form.choice.choices = [SelectChoice(value, words) for value, words in options]
    numeric = question is None or (
        question.type is not QuestionType.YES_NO
        and all(isinstance(o.value, int | float) for o in question.options)
    )
    if not numeric:
        form.operator.choices = [
            SelectChoice(value, words)
            for value, (words, _op) in rule_editing.OPERATORS.items()
            if value in ("is", "is_not")
        ]
    if form.validate_on_submit():
        value = (form.choice.data if options else form.value.data) or ""
        if not value:
            (form.choice if options else form.value).errors = ["Choose or enter the value"]
        else:
            saved = _apply(
                draft,
                form,
                "rules",
                lambda: rule_editing.add_flag(
                    draft.rules,
                    draft.structure,
                    title=form.title.data or "",
                    subject=subject,
                    operator=form.operator.data or "",
                    value=value,
                ),
                f"The flag {form.title.data} was added.",
            )
            if saved is not None:
                return saved
    words = f"“{question.title}”" if question is not None else f"the total {subject[7:]}"
    if question is not None and question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        form.value.label.text = "A number"
    return _render("admin/rules/flag.html", draft, form, options=options, subject_words=words)


@bp.route(f"{_BASE}/rules/referral", methods=["GET", "POST"])
@page
def new_referral(key: str, number: int) -> ResponseReturnValue:
    draft = _draft_or_409(key, number)
    form = ReferralForm()
    form.service.choices = [SelectChoice("", "Choose a service")] + [
        SelectChoice(spec.slug, f"{spec.name or spec.slug} ({words})")
        for spec, words in (
            (spec, rule_editing.service_kind_words([spec])[spec.slug])
            for spec in draft.context.services.values()
        )
    ]
    form.trigger.choices = [
        SelectChoice(value, words) for value, words in rule_editing.referral_triggers(draft.rules)
    ]
    if form.validate_on_submit():
        saved = _apply(
            draft,
            form,
            "rules",
            lambda: rule_editing.add_referral(
                draft.rules,
                draft.context.services,
                service=form.service.data or "",
                trigger=form.trigger.data or "",
                urgency=form.urgency.data or "",
                priority=form.priority.data or "",
                because=form.because.data or "",
            ),
            "The referral was added.",
        )
        if saved is not None:
            return saved
    return _render("admin/rules/referral.html", draft, form)


def _remove(draft: _Draft, part: str, build: Callable[[], Any], what: str) -> Response:
    form = RemoveForm()
    if not form.validate_on_submit():
        abort(400)
    done = attempt(
        lambda: draft.save(part, build(), form.revision.data),
        refuse=(drafts.AdminError, rule_editing.RuleEditError),
    )
    if done.result is not None:
        return _saved(draft, done.result, what)
    if isinstance(done.refusal, drafts.DraftRefused):
        problems = "; ".join(p.message for p in done.refusal.problems)
        flash(f"{done.refusal}: {problems}", "info")
    elif isinstance(done.refusal, drafts.StaleDraft):
        flash(
            "Someone else saved this draft since you opened this page, so nothing was removed. "
            "Their change is shown below: remove it again if you still mean to.",
            "info",
        )
    else:
        flash(str(done.refusal), "info")
    return redirect(_rules_url(draft))


@bp.post(f"{_BASE}/rules/<rule_id>/remove")
@page
def remove_rule(key: str, number: int, rule_id: str) -> ResponseReturnValue:
    draft = _draft_or_409(key, number)
    return _remove(
        draft,
        "rules",
        lambda: rule_editing.remove_rule(draft.rules, rule_id),
        "The rule was removed.",
    )


@bp.post(f"{_BASE}/rules/referrals/<line_id>/remove")
@page
def remove_referral(key: str, number: int, line_id: str) -> ResponseReturnValue:
    draft = _draft_or_409(key, number)
    return _remove(
        draft,
        "rules",
        lambda: rule_editing.remove_referral(draft.rules, line_id),
        "The referral was removed.",
    )


# ---------------------------------------------------------------------------- test cases


@bp.post(f"{_BASE}/cases/new")
@page
def new_case(key: str, number: int) -> ResponseReturnValue:
    """From the preview: its answers, and the decision they give, as a test case to name and
    correct; saved when the form is sent again."""
    draft = _draft_or_409(key, number)
    form = CaseForm()
    answers = preview.parse_answers(form.answers.data)
    if not answers:
        flash("Answer some questions in the preview first, then save them as a test case.", "info")
        return redirect(url_for("admin.preview_page", key=key, number=number))
    decision = preview.decide(draft.runtime, answers)
    if decision is None:
        flash("This version's rules cannot run until their problems are fixed.", "info")
        return redirect(_rules_url(draft))
    flags = rule_editing.written(draft.rules, "flags")
    services = sorted({*draft.context.services, *decision.service_slugs})
    form.flags.choices = [SelectChoice(f, f) for f in dict.fromkeys([*flags, *decision.flags])]
    names = {slug: spec.name or slug for slug, spec in draft.context.services.items()}
    form.services.choices = [SelectChoice(s, names.get(s, s)) for s in services]
    expected = case_editing.expectation_of(decision)
    form.referral_levels.description = "; ".join(
        Referred(r.service, r.urgency, r.priority, names.get(r.service, "")).words
        for r in expected.referrals
    )
    if form.step.data != "save":
        form.route.data, form.priority.data = expected.route, expected.priority
        form.services.data, form.flags.data = list(expected.services), list(expected.flags)
        form.referral_levels.data = bool(expected.referrals)
        form.step.data = "save"
        form.revision.data = str(draft.revision)
        return _render("admin/rules/case.html", draft, form, decision=decision)
    levels = expected.referrals if form.referral_levels.data else ()
    if form.validate():
        saved = _apply(
            draft,
            form,
            "test_cases",
            lambda: case_editing.add_case(
                draft.check.cases,
                name=form.name.data or "",
                given=answers,
                expect=case_editing.Expectation(
                    form.route.data or "",
                    form.priority.data or "",
                    tuple(form.services.data or ()),
                    tuple(form.flags.data or ()),
                    levels,
                ).pinned(form.services.data or ()),
            ),
            f"The test case {form.name.data} was saved.",
        )
        if saved is not None:
            return saved
    return _render("admin/rules/case.html", draft, form, decision=decision)


@bp.post(f"{_BASE}/cases/remove")
@page
def remove_case(key: str, number: int) -> ResponseReturnValue:
    draft = _draft_or_409(key, number)
    name = request.form.get("name", "")
    return _remove(
        draft,
        "test_cases",
        lambda: case_editing.remove_case(draft.check.cases, name),
        "The test case was removed.",
    )
