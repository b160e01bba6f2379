"""Assessment pages: start, the task list, one page per section, check answers, submit, outcome."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..auth import roles_required
from ..auth.models import Role
from ..extensions import db
from ..pages import actor, attempt, page
from ..records import access
from ..records.services import RecordNotFound
from ..scoring.outcomes import Priority, Route
from . import access as assessment_access
from . import services, totals
from .answer_sheet import answer_sheet
from .forms import OverrideForm
from .models import Assessment, AssessmentStatus

bp = Blueprint("assessments", __name__)
#: The query of a "Change" link from check answers, whose save goes back there.
_FROM_CHECK: dict[str, Any] = {"from": "check"}

DEFAULT_QUESTIONNAIRE = "joint-assessment"


_actor = actor


def _open(assessment_id: str) -> Assessment:
    """The assessment if the signed-in user may see its person's answers (audited); 404 if not,
    exactly as if it did not exist; 403 for roles that never see answers."""
    try:
        return assessment_access.assessment_for(db.session, _actor(), assessment_id)
    except RecordNotFound:
        abort(404)


def _open_for_change(assessment_id: str, *, questionnaire: bool = True) -> Assessment:
    """As :func:`_open`, and 403 for a draft the user may read but not change: one that
    belongs to another organisation, or a role that does not start assessments.
    ``questionnaire=False`` for a page that never reads the version's questionnaire."""
    try:
        return assessment_access.draft_for_change(
            db.session, _actor(), assessment_id, questionnaire=questionnaire
        ).assessment
    except RecordNotFound:
        abort(404)


def _prepared(assessment: Assessment) -> Any:
    return services.prepare_version(
        db.session, current_app.extensions["assessment_versions"], assessment.questionnaire_version
    )


@bp.post("/people/<client_id>/assessments")
@roles_required(Role.ASSESSOR)
@page
def start(client_id: str) -> ResponseReturnValue:
    """Only assessors start assessments, and only on records shared with them."""
    actor = _actor()
    try:
        record = access.open_for_assessment(db.session, actor, client_id, action="client.view")
        client = record.client
    except RecordNotFound:
        abort(404)
    key = request.form.get("questionnaire") or DEFAULT_QUESTIONNAIRE
    version = services.latest_published(db.session, key)
    if version is None:
        abort(404)
    resumed = services.open_draft_of(db.session, actor, client, version)
    if resumed is not None:
        # One draft per organisation, questionnaire and person: "Start" goes on with it.
        author = f" by {resumed.started_by.name}" if resumed.started_by else ""
        flash(
            f"Your organisation already has a draft of this assessment, started{author}: "
            "you are continuing it.",
            "info",
        )
        return redirect(url_for("assessments.task_list", assessment_id=resumed.id))
    assessment = services.start_assessment(db.session, actor, client, version)
    return redirect(url_for("assessments.task_list", assessment_id=assessment.id))


@bp.route("/assessments/<assessment_id>/discard", methods=["GET", "POST"])
@page
def discard(assessment_id: str) -> ResponseReturnValue:
    """Its author, or a team manager of its organisation, discards a draft (kept, read-only)."""
    try:
        opened = assessment_access.draft_for_discard(db.session, _actor(), assessment_id)
    except RecordNotFound:
        abort(404)
    assessment = opened.assessment
    if request.method == "GET":
        return render_template("assessments/discard.html", assessment=assessment)
    try:
        loaded_version = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    refusal = attempt(
        lambda: services.discard_draft(
            db.session, _actor(), assessment, expected_version=loaded_version
        ),
        refuse=(services.StaleEdit,),
    ).refusal
    if refusal is not None:
        flash(
            "Someone saved this draft since you opened it. Check it before you discard it.", "info"
        )
        return redirect(url_for("assessments.task_list", assessment_id=assessment_id))
    flash(
        f"The draft of \u2018{assessment.questionnaire_version.title}\u2019 was discarded.",
        "success",
    )
    return redirect(url_for("records.client", client_id=assessment.client_id))


@bp.get("/assessments/<assessment_id>")
@page
def task_list(assessment_id: str) -> ResponseReturnValue:
    """The draft's sections; read-only for those who may read but not change it."""
    try:
        opened = assessment_access.open_assessment(db.session, _actor(), assessment_id)
    except RecordNotFound:
        abort(404)
    assessment = opened.assessment
    if assessment.status != AssessmentStatus.DRAFT:
        return redirect(url_for("assessments.outcome", assessment_id=assessment.id))
    prepared = _prepared(assessment)
    sections = services.section_states(prepared, assessment.answers or {})
    return render_template(
        "assessments/task_list.html",
        assessment=assessment,
        editable=opened.may_change,
        may_discard=opened.may_discard,
        sections=sections,
        completed=sum(1 for s in sections if s.status == "completed"),
    )


def _not_open(assessment: Assessment) -> ResponseReturnValue:
    """Where a page of an assessment that can no longer change goes instead: the outcome, or
    the discarded draft's (read-only) task list."""
    if assessment.discarded:
        return redirect(url_for("assessments.task_list", assessment_id=assessment.id))
    return redirect(url_for("assessments.outcome", assessment_id=assessment.id))


def _section_or_404(prepared: Any, section: str) -> Any:
    for question in prepared.questionnaire.structure.sections:
        if question.name == section:
            return question
    abort(404)


def _next_section(prepared: Any, section: str) -> str | None:
    names = [q.name for q in prepared.questionnaire.structure.sections]
    index = names.index(section)
    return names[index + 1] if index + 1 < len(names) else None


@bp.route("/assessments/<assessment_id>/sections/<section>", methods=["GET", "POST"])
@page
def section(assessment_id: str, section: str) -> ResponseReturnValue:
    """One section per page. Saving never needs every answer; wrong answers are shown at their
    field and nothing is saved; a save over someone else's newer save shows what changed."""
    from ..forms import apply_errors, error_summary, newly_visible, read_section, section_form
    from ..forms.pages import SCRIPTED_FIELD

    assessment = _open_for_change(assessment_id, questionnaire=False)
    if not assessment.open_draft:
        return _not_open(assessment)
    prepared = _prepared(assessment)
    question = _section_or_404(prepared, section)
    saved = assessment.answers or {}
    if request.method == "GET":
        form = section_form(prepared, section, saved)
        if request.args.get("check"):  # from a submit's error summary: show what is missing
            apply_errors(form, _missing_required(prepared, saved, section))
        return _render_section(assessment, question, form, error_summary(form), assessment.version)

    try:
        loaded_version = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    post = read_section(prepared, section, saved, request.form)
    if post.action is not None:
        return _change_rows(assessment, prepared, question, post, loaded_version)
    saved_now = _save(assessment, prepared, question, post, loaded_version)
    if saved_now is not None:
        return saved_now
    revealed_live = request.form.get(SCRIPTED_FIELD) == "1"
    # From a "Change" link on check answers: saving goes back there (the same checks first).
    back_to_check = _FROM_CHECK if request.form.get("from") == "check" else {}
    if not revealed_live and newly_visible(prepared, saved, post.answers, section):
        flash("There are more questions in this section, based on your answers.", "info")
        return redirect(
            url_for(
                "assessments.section",
                assessment_id=assessment.id,
                section=section,
                **back_to_check,
            )
        )
    returning = request.form.get("action") == "save_and_return"
    if not returning:
        missing = _missing_required(prepared, post.answers, section)
        if missing:
            # Saved (nothing typed is lost), but "continue" needs the section's answers.
            apply_errors(post.form, missing)
            return _render_section(
                assessment, question, post.form, error_summary(post.form), assessment.version, 422
            )
    if returning:
        flash(f"Your answers to \u2018{question.title}\u2019 have been saved.", "success")
        return redirect(url_for("assessments.task_list", assessment_id=assessment.id))
    following = _next_section(prepared, section)
    if back_to_check or following is None:
        return redirect(url_for("assessments.check", assessment_id=assessment.id))
    return redirect(url_for("assessments.section", assessment_id=assessment.id, section=following))


def _save(
    assessment: Assessment,
    prepared: Any,
    question: Any,
    post: Any,
    loaded_version: int,
    typed: Any = None,
) -> ResponseReturnValue | None:
    """Save the posted section as the draft; the page to show instead when that is refused
    (an answer wrong as typed, in ``typed`` or else ``post``: the page with its errors;
    someone saved since: what changed)."""
    from ..forms import apply_errors, error_summary

    checked = typed or post
    if not checked.ok:
        return _render_section(
            assessment, question, checked.form, checked.error_list, loaded_version, status=422
        )
    saved_now = attempt(
        lambda: services.save_answers(
            db.session,
            _actor(),
            assessment,
            prepared,
            post.answers,
            expected_version=loaded_version,
            section=question.name,
        ),
        refuse=(services.StaleEdit, services.AnswersInvalid),
    )
    if isinstance(saved_now.refusal, services.StaleEdit):
        current = _open(str(assessment.id))
        return _render_conflict(current, prepared, question, post.answers), 409
    if isinstance(saved_now.refusal, services.AnswersInvalid):
        apply_errors(post.form, saved_now.refusal.errors)
        return _render_section(
            assessment, question, post.form, error_summary(post.form), loaded_version, status=422
        )
    return None


def _change_rows(
    assessment: Assessment, prepared: Any, question: Any, post: Any, loaded_version: int
) -> ResponseReturnValue:
    """Add or remove a repeat item: the page's answers are saved as a draft first (so "Back"
    loses nothing), then the page is shown with the rows changed and focus on the item.
    An answer that cannot be saved is shown at its field with the rows as they were."""
    from ..forms import read_section

    as_typed = read_section(prepared, question.name, assessment.answers or {}, _typed(request.form))
    refused = _save(assessment, prepared, question, post, loaded_version, as_typed)
    if refused is not None:
        return refused
    return _render_section(assessment, question, post.form, [], assessment.version)


def _typed(formdata: Any) -> MultiDict[str, str]:
    """The posted page without the add or remove button pressed: the answers as typed."""
    typed: MultiDict[str, str] = MultiDict()
    for key, values in formdata.lists():
        if key != "action":
            typed.setlist(key, list(values))
    return typed


def _missing_required(prepared: Any, answers: dict[str, Any], section: str) -> dict[str, list[str]]:
    """The section's required questions that are shown and not answered (prorated items and
    other answers the rules allow to be left are not required), by pointer."""
    document = dict(answers)
    document.setdefault(section, {})
    found = prepared.questionnaire.validate(document, complete=True)
    return {
        pointer: messages
        for pointer, messages in found.items()
        if pointer.startswith(f"/{section}/")
    }


def _render_section(
    assessment: Assessment,
    question: Any,
    form: Any,
    error_list: list[dict[str, str]],
    version: int,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "assessments/section.html",
        assessment=assessment,
        section=question,
        form=form,
        error_list=error_list,
        version=version,
    ), status


def _render_conflict(
    current: Assessment, prepared: Any, question: Any, yours: dict[str, Any]
) -> str:
    """Their saved answers beside yours, with your typing kept to save again or discard."""
    from ..forms import summary_rows

    theirs = summary_rows(prepared, current.answers or {}, question.name)
    mine = summary_rows(prepared, yours, question.name)
    their_by_pointer = {row["pointer"]: row for row in theirs}
    changed = [
        row for row in mine if _plain(their_by_pointer.get(row["pointer"])) != _plain(row)
    ] + [row for row in theirs if row["pointer"] not in {r["pointer"] for r in mine}]
    kept = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", "version", "action")
    ]
    return render_template(
        "assessments/conflict.html",
        assessment=current,
        section=question,
        theirs=theirs,
        mine=mine,
        changed={row["pointer"] for row in changed},
        kept=kept,
        editor=current.questionnaire_version and _last_editor(current),
    )


def _plain(row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    value = row.get("value", {})
    return str(value.get("text") or value.get("html") or "")


def _last_editor(assessment: Assessment) -> str:
    return services.last_editor_name(db.session, assessment)


@bp.get("/assessments/<assessment_id>/check")
@page
def check(assessment_id: str) -> ResponseReturnValue:
    assessment = _open(assessment_id)
    if not assessment.open_draft:
        return _not_open(assessment)
    return _render_check(assessment, errors={})


def _render_check(assessment: Assessment, errors: dict[str, list[str]]) -> ResponseReturnValue:
    from ..forms import named, section_form
    from ..forms.summary import mark_missing, summary_rows

    prepared = _prepared(assessment)
    answers = assessment.answers or {}
    # Every section as at least begun, so that an unstarted one's required questions show too.
    begun: dict[str, Any] = {
        section.name: {} for section in prepared.questionnaire.structure.sections
    }
    missing = prepared.questionnaire.validate({**begun, **answers}, complete=True)
    sections = [
        (
            section,
            mark_missing(
                summary_rows(
                    prepared,
                    answers,
                    section.name,
                    change_url=url_for(
                        "assessments.section",
                        assessment_id=assessment.id,
                        section=section.name,
                        **_FROM_CHECK,
                    ),
                ),
                missing,
            ),
        )
        for section in prepared.questionnaire.structure.sections
    ]
    names = {section.name for section in prepared.questionnaire.structure.sections}
    forms: dict[str, Any] = {}
    error_list = []
    for pointer, messages in errors.items():
        name = pointer.split("/")[1] if pointer.count("/") >= 1 else ""
        if not name or name not in names:
            continue
        form = forms.get(name) or forms.setdefault(name, section_form(prepared, name, answers))
        message = named(prepared, pointer, messages[0])
        error_list.append(
            {
                "text": f"{_section_title(prepared, pointer)}: {message}",
                "href": url_for(
                    "assessments.section",
                    assessment_id=assessment.id,
                    section=name,
                    check=1,
                    _anchor=_anchor_of(form, pointer),
                ),
            }
        )
    return render_template(
        "assessments/check.html",
        assessment=assessment,
        sections=sections,
        error_list=error_list,
    ), (422 if errors else 200)


def _anchor_of(form: Any, pointer: str) -> str:
    """The id of the field nearest ``pointer`` on its section's page."""
    from ..forms import field_anchor

    while pointer not in form.entries and pointer.count("/") > 1:
        pointer = pointer.rsplit("/", 1)[0]
    return str(field_anchor(form, pointer))


def _section_title(prepared: Any, pointer: str) -> str:
    name = pointer.split("/")[1]
    for section in prepared.questionnaire.structure.sections:
        if section.name == name:
            return str(section.title)
    return name


@bp.post("/assessments/<assessment_id>/submit")
@page
def submit(assessment_id: str) -> ResponseReturnValue:
    assessment = _open_for_change(assessment_id)
    prepared = _prepared(assessment)
    try:
        expected = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    refusal = attempt(
        lambda: services.submit(
            db.session, _actor(), assessment, prepared, expected_version=expected
        ),
        refuse=(services.AssessmentError,),
    ).refusal
    if isinstance(refusal, services.StaleEdit):
        flash(
            "Someone else changed this assessment while you were checking it. "
            "Check the answers again before you submit.",
            "info",
        )
        return redirect(url_for("assessments.check", assessment_id=assessment_id))
    if isinstance(refusal, services.AnswersInvalid):
        return _render_check(_open(assessment_id), refusal.errors)
    if isinstance(refusal, services.NotEditable):
        return _not_open(assessment)
    if refusal is not None:
        flash(str(refusal), "info")
        return redirect(url_for("assessments.check", assessment_id=assessment_id))
    return redirect(url_for("assessments.outcome", assessment_id=assessment_id))


@bp.get("/assessments/<assessment_id>/answers")
@page
def answers(assessment_id: str) -> ResponseReturnValue:
    """Every section's questions and answers in words, for anyone the person's sharing views
    allow (the receiving partners' staff among them); 404 for anyone else."""
    try:
        sheet = answer_sheet(
            db.session, _actor(), current_app.extensions["assessment_versions"], assessment_id
        )
    except RecordNotFound:
        abort(404)
    return render_template("assessments/answers.html", sheet=sheet)


@bp.get("/assessments/<assessment_id>/outcome")
@page
def outcome(assessment_id: str) -> ResponseReturnValue:
    assessment = _open(assessment_id)
    decision = services.current_decision(assessment)
    if decision is None:
        return redirect(url_for("assessments.task_list", assessment_id=assessment.id))
    view = services.outcome_view(db.session, decision)
    form = OverrideForm(data={"route": decision.route.value, "priority": decision.priority.value})
    return _render_outcome(assessment, view, form)


def _may_override(assessment: Assessment) -> bool:
    return (
        current_user.role == Role.ASSESSOR
        and current_user.organisation_id == assessment.organisation_id
        and assessment.status == AssessmentStatus.SUBMITTED
    )


def _render_outcome(
    assessment: Assessment, view: Any, form: OverrideForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "assessments/outcome.html",
        assessment=assessment,
        outcome=view,
        total_flags=totals.disagreements(assessment.stated_totals),
        form=form if _may_override(assessment) else None,
    ), status


@bp.post("/assessments/<assessment_id>/override")
@page
def override(assessment_id: str) -> ResponseReturnValue:
    """An assessor of the organisation that made the assessment changes route or priority."""
    assessment = _open(assessment_id)
    decision = services.current_decision(assessment)
    if decision is None or not _may_override(assessment):
        abort(403 if decision is not None else 404)
    form = OverrideForm()
    if form.validate_on_submit():
        overridden = attempt(
            lambda: services.override_decision(
                db.session,
                _actor(),
                decision,
                route=Route(form.route.data),
                priority=Priority(form.priority.data),
                reason=form.reason.data or "",
            ),
            form,
            field="reason",
            refuse=(services.AssessmentError,),
        )
        if overridden.done:
            flash("The decision has been changed. Both decisions are kept.", "success")
            return redirect(url_for("assessments.outcome", assessment_id=assessment_id))
    assessment = _open(assessment_id)
    current = services.current_decision(assessment)
    assert current is not None  # as above: a refused override leaves the decision
    view = services.outcome_view(db.session, current)
    return _render_outcome(assessment, view, form, status=422)


def _printable(assessment_id: str) -> Any:
    """The copy asked for (``?copy=person``, the default, or ``file``) of a submitted
    assessment, as the user may see it (audited as a view); 404 otherwise; None for a draft."""
    from . import printing

    try:
        copy = printing.Copy(request.args.get("copy", printing.Copy.PERSON.value))
    except ValueError:
        abort(404)
    try:
        return printing.printable(
            db.session, _actor(), current_app.extensions["assessment_versions"], assessment_id, copy
        )
    except RecordNotFound:
        abort(404)


def _print_html(assessment_id: str, *, pdf: bool) -> tuple[Any, str]:
    """The copy and its print view (``pdf``: for WeasyPrint, without the page's script);
    ``(None, "")`` for a draft, which has no decision to print yet."""
    printed = _printable(assessment_id)
    if printed is None:
        return None, ""
    flags = totals.disagreements(printed.sheet.assessment.stated_totals)
    return printed, render_template(
        "assessments/print.html", printed=printed, pdf=pdf, total_flags=flags
    )


def _back_to_draft(assessment_id: str) -> ResponseReturnValue:
    return redirect(url_for("assessments.task_list", assessment_id=assessment_id))


@bp.get("/assessments/<assessment_id>/print")
@page
def print_view(assessment_id: str) -> ResponseReturnValue:
    """The copy to print from the browser: its print stylesheet drops the navigation."""
    printed, html = _print_html(assessment_id, pdf=False)
    return html if printed is not None else _back_to_draft(assessment_id)


@bp.get("/assessments/<assessment_id>/print.pdf")
@page
def print_pdf(assessment_id: str) -> ResponseReturnValue:
    """The same copy as a PDF: never cached, and named without the CHI number."""
    from . import printing

    printed, html = _print_html(assessment_id, pdf=True)
    if printed is None:
        return _back_to_draft(assessment_id)
    fetcher = printing.static_fetcher(
        str(current_app.static_folder), str(current_app.static_url_path)
    )
    pdf = printing.pdf_of(html, request.url_root, fetcher)
    return pdf, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{printed.file_name}"',
        "Cache-Control": "no-store",
    }
