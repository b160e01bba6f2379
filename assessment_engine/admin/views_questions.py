"""The question editor: a draft's sections and questions edited in forms, not JSON.

Each view parses its form, calls one pure edit of :mod:`questionnaires.editing` through
:func:`edit_drafts.apply_edit` (which saves the draft's texts, so the JSON editor shows the
same), and redirects; the page edge commits. Adds routes to the admin blueprint of
:mod:`.views`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urljoin

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..pages import attempt, page
from ..questionnaires import drafts, edit_drafts, editing, preview
from ..questionnaires.checks import file_names
from ..questionnaires.documents import BASE_URI
from ..questionnaires.editing import Draft, EditRefused
from ..questionnaires.models import QuestionnaireVersion, VersionStatus
from ..questionnaires.structure import QuestionType
from .forms_questions import QuestionForm, SectionForm, encode_when, form_data
from .views import (
    actor,
    bp,
    check_context,
    draft_cache,
    form_schemas,
    revision_number,
    version_or_404,
    version_runtime,
)


def _session() -> Session:
    return cast(Session, db.session)


def _draft_or_409(key: str, number: int) -> QuestionnaireVersion:
    """The draft; a version that is not one stops with a page saying why (409, as the rules
    builders answer)."""
    found = version_or_404(key, number)
    if found.status != VersionStatus.DRAFT:
        page = render_template(
            "admin/rules/cannot_build.html",
            version=found,
            heading="This version can no longer change",
            reason=f"Version {number} is {found.status.value}: its questions stay as they are. "
            "Start a new draft of the questionnaire to change them. Nothing was changed.",
            problems=[],
            published=True,
            back={
                "text": "Back to the version",
                "href": url_for("admin.version", key=key, number=number),
            },
        )
        abort(make_response(page, 409))
    return found


def _current(found: QuestionnaireVersion, key: str, number: int) -> Draft:
    """The draft as saved; one the editor cannot read stops with a redirect to the question list
    saying why."""
    made = attempt(
        lambda: edit_drafts.current(_session(), found, form_schemas()), refuse=(EditRefused,)
    )
    if made.result is None:
        flash(str(made.refusal), "info")
        abort(redirect(_questions_url(key, number)))
    return made.result


def _questions_url(key: str, number: int, anchor: str = "") -> str:
    return url_for("admin.questions", key=key, number=number) + (f"#{anchor}" if anchor else "")


def _revision() -> int:
    """The posted revision; one that cannot be a revision is refused as stale (the form kept)."""
    return revision_number(request.form.get("revision"))


def _save(
    found: QuestionnaireVersion, change: Callable[[Draft], Draft], revision: int, form: Any = None
) -> EditRefused | drafts.AdminError | None:
    """Apply and save one edit; the refusal (rolled back, shown on ``form``), or None."""
    context = check_context()
    saved = attempt(
        lambda: edit_drafts.apply_edit(
            _session(),
            actor(),
            context,
            found,
            change,
            expected_revision=revision,
            form_schemas=form_schemas(),
        ),
        form,
        refuse=(EditRefused, drafts.AdminError),
    )
    if saved.result is not None:
        preview.remember_saved(_session(), draft_cache(), found, saved.result, context)
        problems = len(saved.result.problems)
        flash(
            "Saved. "
            + (f"The draft has {problems} problem(s) to fix." if problems else "No problems."),
            "info" if problems else "success",
        )
        return None
    refusal = saved.refusal
    assert isinstance(refusal, EditRefused | drafts.AdminError)
    return refusal


#: An edit made on a page shown before someone else saved the draft.
STALE = (
    "Someone else saved this draft since this page was shown, so nothing was saved. Check what "
    "they changed, then make your change again"
)


def _refused(refusal: EditRefused | drafts.AdminError) -> None:
    if isinstance(refusal, drafts.StaleDraft):
        flash(STALE + ".", "info")
        return
    reasons = refusal.reasons if isinstance(refusal, EditRefused) else []
    flash(
        str(refusal) + (": " + "; ".join(reasons) if reasons else "") + ". Nothing was saved.",
        "info",
    )


def _source_key(ref: str) -> str | None:
    """The questionnaire a ``$ref`` reaches (``.../form_schemas/<key>/vN.json``)."""
    if not ref.startswith(BASE_URI):
        return None
    return ref[len(BASE_URI) :].split("/", 1)[0] or None


@bp.get("/questionnaires/<key>/versions/<int:number>/questions")
def questions(key: str, number: int) -> ResponseReturnValue:
    """The draft's sections and questions, each with its checks' problems."""
    found = version_or_404(key, number)
    runtime = version_runtime(found)
    refusal, uri = None, ""
    try:
        current = edit_drafts.current(_session(), found, form_schemas())
        sections = editing.outline(current.document)
        uri = str(current.document.get("$id") or "")
    except EditRefused as error:
        refusal, sections = error, ()
    by_question = editing.problems_by_question(
        list(runtime.problems), file_names(key, number)["document"]
    )
    return render_template(
        "admin/questions/index.html",
        version=found,
        sections=sections,
        by_question=by_question,
        problems=runtime.problems,
        refusal=refusal,
        editable=found.status == VersionStatus.DRAFT,
        revision=drafts.current_revision(_session(), found),
        source_key=lambda ref: _source_key(urljoin(uri, ref)),
    )


def _choices(form: QuestionForm, current: Draft, section: str, name: str | None) -> None:
    document = current.document
    node = document["properties"][section].get("properties", {}).get(name or "")
    if isinstance(node, dict) and editing.type_of(node) is QuestionType.REPEATING_GROUP:
        # it keeps its inner questions, so it stays a question that repeats
        form.type.choices = [SelectChoice(editing.REPEATS.type.value, editing.REPEATS.label)]
    form.show_when.choices = [SelectChoice("", "Always")] + [
        SelectChoice(encode_when(when), editing.describe(document, section, when))
        for when in editing.answers_to_show_by(document, section, name or "")
    ]
    form.section.choices = [SelectChoice(s.name, s.title) for s in editing.outline(document)]
    form.not_after.choices = [SelectChoice("", "No limit")] + [
        SelectChoice(q.pointer, q.title)
        for s in editing.outline(document)
        for q in s.questions
        if not q.ref
        and q.pointer != f"/{section}/{name}"
        and editing.type_of(document["properties"][s.name]["properties"][q.name])
        is QuestionType.DATE
    ]


def _option_action(form: QuestionForm) -> bool:
    """Add, remove or move an option in the form without saving; True when one was asked."""
    action = request.form.get("action", "")
    rows = [dict(entry.form.data) for entry in form.options]
    if action == "add-option":
        rows.append({"label": "", "code": "", "score": ""})
    elif action.startswith(("remove-option-", "up-option-", "down-option-")):
        verb, _, at = action.rpartition("-")
        if not at.isdigit() or int(at) >= len(rows):
            abort(400)
        index = int(at)
        row = rows.pop(index)
        if verb == "up-option":
            rows.insert(max(0, index - 1), row)
        elif verb == "down-option":
            rows.insert(min(len(rows), index + 1), row)
    else:
        return False
    while len(form.options):
        form.options.pop_entry()
    for row in rows:
        form.options.append_entry(row)
    return True


def _question_page(
    found: QuestionnaireVersion,
    section: str,
    name: str | None,
    form: QuestionForm,
    current: Draft,
    *,
    status: int = 200,
    reasons: list[str] | None = None,
) -> ResponseReturnValue:
    key = found.questionnaire.key
    pointer = f"/{section}/{name}" if name else ""
    runtime = version_runtime(found)
    found_problems = editing.problems_by_question(
        list(runtime.problems), file_names(key, found.version)["document"]
    ).get(pointer, [])
    fixed = bool(name) and editing.has_fixed_condition(current.document, section, name or "")
    return render_template(
        "admin/questions/question.html",
        version=found,
        section=section,
        section_title=current.document["properties"][section].get("title", section),
        name=name,
        pointer=pointer,
        form=form,
        repeats=form.type.data == editing.REPEATS.type.value,
        problems=found_problems,
        fixed_condition=fixed,
        uses=editing.uses(current, pointer) if name else [],
        reasons=reasons or [],
        revision=drafts.current_revision(_session(), found),
    ), status


@bp.route(
    "/questionnaires/<key>/versions/<int:number>/questions/<section>/new", methods=["GET", "POST"]
)
@bp.route(
    "/questionnaires/<key>/versions/<int:number>/questions/<section>/<name>",
    methods=["GET", "POST"],
)
@page
def question(key: str, number: int, section: str, name: str | None = None) -> ResponseReturnValue:
    """Add a question to a section, or change one: its words, type, options, limits, condition,
    name and section."""
    found = _draft_or_409(key, number)
    current = _current(found, key, number)
    if section not in current.document["properties"]:
        abort(404)
    if request.method == "GET":
        if name is None:
            data: dict[str, Any] = {
                "type": QuestionType.SHORT_TEXT.value,
                "required": "no",
                "section": section,
            }
        else:
            read = attempt(
                lambda: editing.read_question(current.document, section, name),
                refuse=(EditRefused,),
            )
            if read.result is None:
                flash(str(read.refusal) + ".", "info")
                return redirect(_questions_url(key, number, f"{section}-{name}"))
            data = form_data(read.result, section)
        form = QuestionForm(formdata=None, data=data)
        form.revision.data = str(drafts.current_revision(_session(), found))
        _choices(form, current, section, name)
        return _question_page(found, section, name, form, current)
    form = QuestionForm()
    _choices(form, current, section, name)
    if _option_action(form):
        return _question_page(found, section, name, form, current)
    if not form.validate_on_submit():
        return _question_page(found, section, name, form, current, status=422)
    try:
        edit = form.edit()
    except ValueError as error:  # a ValidationError of an option's score
        form.options.errors = [str(error)]
        return _question_page(found, section, name, form, current, status=422)
    target = form.section.data or section

    def change(draft: Draft) -> Draft:
        saved = editing.save_question(draft, section, name, edit)
        if target != section:
            saved = editing.relocate(saved, section, edit.name, target, edit.name)
        return saved

    refusal = _save(found, change, _revision(), form)
    if isinstance(refusal, drafts.StaleDraft):
        # An edit applies to the draft as saved, so saving again (now) applies it to theirs.
        form.form_errors.append(STALE + ": saving this form again changes only this question")
        form.revision.data = str(drafts.current_revision(_session(), found))
        current = edit_drafts.current(_session(), found, form_schemas())
        return _question_page(found, section, name, form, current, status=409)
    if refusal is not None:
        if not refusal.errors:
            form.form_errors.append(str(refusal))
        reasons = refusal.reasons if isinstance(refusal, EditRefused) else []
        return _question_page(found, section, name, form, current, status=422, reasons=reasons)
    return redirect(_questions_url(key, number, f"{target}-{edit.name}"))


@bp.post("/questionnaires/<key>/versions/<int:number>/questions/<section>/<name>/<action>")
@page
def question_action(
    key: str, number: int, section: str, name: str, action: str
) -> ResponseReturnValue:
    """Move a question up or down, duplicate it, or delete it."""
    found = _draft_or_409(key, number)
    anchor = f"{section}-{name}"
    change: Callable[[Draft], Draft]
    if action in ("up", "down"):
        step = -1 if action == "up" else 1
        change = lambda d: editing.move_question(d, section, name, step)  # noqa: E731
    elif action == "duplicate":
        change = lambda d: editing.duplicate_question(d, section, name)[0]  # noqa: E731
    elif action == "delete":
        change = lambda d: editing.delete_question(d, section, name)  # noqa: E731
        anchor = section
    else:
        abort(404)
    refusal = _save(found, change, _revision())
    if refusal is not None:
        _refused(refusal)
    return redirect(_questions_url(key, number, anchor))


@bp.route("/questionnaires/<key>/versions/<int:number>/sections/new", methods=["GET", "POST"])
@bp.route("/questionnaires/<key>/versions/<int:number>/sections/<section>", methods=["GET", "POST"])
@page
def section_page(key: str, number: int, section: str | None = None) -> ResponseReturnValue:
    """Add a section, or change a section's title and description."""
    found = _draft_or_409(key, number)
    current = _current(found, key, number)
    if section is not None and section not in current.document["properties"]:
        abort(404)
    if request.method == "GET":
        node = current.document["properties"].get(section or "", {})
        form = SectionForm(
            formdata=None,
            data={
                "name": section or "",
                "title": node.get("title", ""),
                "description": node.get("description", ""),
                "revision": str(drafts.current_revision(_session(), found)),
            },
        )
    else:
        form = SectionForm()
        if form.validate_on_submit():
            name = section or (form.name.data or "").strip()
            title, description = form.title.data or "", form.description.data or ""
            refusal = _save(
                found,
                lambda d: editing.save_section(d, section, name, title, description),
                _revision(),
                form,
            )
            if refusal is None:
                return redirect(_questions_url(key, number, name))
            if isinstance(refusal, drafts.StaleDraft):
                form.form_errors.append(STALE)
                form.revision.data = str(drafts.current_revision(_session(), found))
            elif not refusal.errors:
                form.form_errors.append(str(refusal))
    status = 422 if form.errors else 200
    return render_template(
        "admin/questions/section.html", version=found, section=section, form=form
    ), status


@bp.post("/questionnaires/<key>/versions/<int:number>/sections/<section>/<action>")
@page
def section_action(key: str, number: int, section: str, action: str) -> ResponseReturnValue:
    """Move a section up or down, or delete it."""
    found = _draft_or_409(key, number)
    change: Callable[[Draft], Draft]
    if action in ("up", "down"):
        step = -1 if action == "up" else 1
        change = lambda d: editing.move_section(d, section, step)  # noqa: E731
    elif action == "delete":
        change = lambda d: editing.delete_section(d, section)  # noqa: E731
    else:
        abort(404)
    refusal = _save(found, change, _revision())
    if refusal is not None:
        _refused(refusal)
    return redirect(_questions_url(key, number, section if action != "delete" else ""))


# ---------------------------------------------------------------------------- publishing


@bp.get("/questionnaires/<key>/versions/<int:number>/publish")
def publish_confirm(key: str, number: int) -> ResponseReturnValue:
    """Publishing asks first, saying what changes for assessors from the latest version."""
    found = _draft_or_409(key, number)
    others = [
        v
        for v in found.questionnaire.versions
        if v.status != VersionStatus.DRAFT and v.id != found.id
    ]
    latest = max(others, key=lambda v: v.version) if others else None
    runtime = version_runtime(found)
    comparison = (
        preview.comparison(version_runtime(latest), runtime, latest, found)
        if latest is not None
        else None
    )
    return render_template(
        "admin/questions/publish.html",
        version=found,
        latest=latest,
        comparison=comparison,
        problems=runtime.problems,
        revision=drafts.current_revision(_session(), found),
    )
