"""Administration pages for questionnaires: library, draft editor, preview, publish, compare,
import and export. Only administrators reach anything under /admin (403 for everyone else).

Views parse the request, call a service and render; the page edge (``pages.page``) commits once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..auth.models import Role
from ..extensions import db
from ..pages import actor as page_actor
from ..pages import attempt, page
from ..questionnaires import drafts, preview
from ..questionnaires import services as questionnaire_services
from ..questionnaires.checks import (
    PARTS,
    CheckContext,
    DraftCheck,
    DraftTexts,
    check_draft,
    file_names,
)
from ..questionnaires.models import QuestionnaireVersion, VersionStatus
from ..questionnaires.problems import Problem
from ..questionnaires.runtime import VersionCache
from . import library
from .forms import ImportForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _administrators_only() -> None:
    """Every /admin page: administrators only (signing in is required app-wide)."""
    if not current_user.is_authenticated or not current_user.has_role(Role.ADMINISTRATOR):
        abort(403)


actor = page_actor


def version_cache() -> VersionCache:
    cache: VersionCache = current_app.extensions["assessment_versions"]
    return cache


def draft_cache() -> preview.DraftRuntimeCache:
    cache: preview.DraftRuntimeCache = current_app.extensions["admin_draft_runtimes"]
    return cache


def _clear_draft_cache(response: Response) -> Response:
    draft_cache().clear()
    return response


def check_context() -> CheckContext:
    """What a draft is checked against in this request (services, question types)."""
    return drafts.check_context(db.session, version_cache())


def form_schemas() -> Path:
    """The folder of the bundled form schemas."""
    return Path(version_cache().form_schemas)


def version_or_404(key: str, number: int) -> QuestionnaireVersion:
    """The version ``number`` of questionnaire ``key`` (drafts included), or a 404."""
    found = questionnaire_services.find_version(db.session, key, number, drafts=True)
    if found is None:
        abort(404)
    return found


def version_runtime(version: QuestionnaireVersion) -> preview.VersionRuntime:
    """The version compiled for previews and the builders (drafts from the draft cache)."""
    return preview.runtime_of(db.session, version_cache(), draft_cache(), check_context, version)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("admin/index.html")


# --------------------------------------------------------------------------------- library


@bp.get("/questionnaires")
def questionnaires() -> ResponseReturnValue:
    entries = library.library(db.session)
    return render_template("admin/library.html", entries=entries)


@bp.post("/questionnaires/<key>/drafts")
@page
def new_draft(key: str) -> ResponseReturnValue:
    questionnaire = questionnaire_services.find_questionnaire(db.session, key)
    if questionnaire is None:
        abort(404)
    made = attempt(
        lambda: drafts.new_draft(
            db.session, actor(), check_context(), questionnaire, form_schemas()
        ),
        refuse=(drafts.AdminError,),
    )
    if made.result is None:
        flash(str(made.refusal), "info")
        return redirect(url_for("admin.questionnaires"))
    draft = made.result
    flash(f"Version {draft.version} is a new draft, copied from the latest version.", "success")
    return redirect(url_for("admin.version", key=key, number=draft.version))


# ---------------------------------------------------------------------------------- editor


def _render_version(
    version: QuestionnaireVersion,
    texts: DraftTexts,
    result: DraftCheck,
    *,
    revision: int | None,
    status: int = 200,
    stale: Any = None,
    publish_problems: list[Any] | None = None,
) -> ResponseReturnValue:
    entry = library.version_entry(db.session, version)
    names = file_names(version.questionnaire.key, version.version)
    part_of = {name: part for part, name in names.items()}
    return render_template(
        "admin/version.html",
        version=version,
        entry=entry,
        texts=texts,
        result=result,
        problems=publish_problems if publish_problems is not None else result.problems,
        part_of=part_of,
        parts=PARTS,
        revision=revision,
        stale=stale,
        editable=version.status == VersionStatus.DRAFT,
        others=[v for v in version.questionnaire.versions if v.id != version.id],
        status=status,
    ), status


@bp.get("/questionnaires/<key>/versions/<int:number>")
def version(key: str, number: int) -> ResponseReturnValue:
    """A draft in the editor, or a published or retired version, read-only, with its checks."""
    found = version_or_404(key, number)
    texts = drafts.source_texts(db.session, found, form_schemas())
    result = check_draft(texts, key=key, version=number, context=check_context())
    source = drafts.source_of(db.session, found)
    return _render_version(found, texts, result, revision=source.revision if source else 0)


def _posted_texts() -> DraftTexts:
    return DraftTexts(*(request.form.get(part, "").replace("\r\n", "\n") for part in PARTS))


def revision_number(text: str | None) -> int:
    """A posted draft revision; what cannot be one (not a number, or too big for the column)
    is -1, which no draft has, so it is refused as stale and the form is kept."""
    try:
        number = int(text or "")
    except ValueError:
        return -1
    return number if 0 <= number < 2**31 else -1


def _posted_revision() -> int:
    return revision_number(request.form.get("revision"))


@bp.post("/questionnaires/<key>/versions/<int:number>")
@page
def save(key: str, number: int) -> ResponseReturnValue:
    """Save the draft's texts, whatever their problems, and show every problem found."""
    found = version_or_404(key, number)
    if found.status != VersionStatus.DRAFT:
        abort(409)
    texts = _posted_texts()
    revision = _posted_revision()
    saved = attempt(
        lambda: drafts.save_draft(
            db.session, actor(), check_context(), found, texts, expected_revision=revision
        ),
        refuse=(drafts.StaleDraft,),
    )
    if isinstance(saved.refusal, drafts.StaleDraft):
        current = saved.refusal.current
        theirs = DraftTexts(current.document_text, current.rules_text, current.cases_text)
        result = check_draft(texts, key=key, version=number, context=check_context())
        return _render_version(
            found, texts, result, revision=current.revision, status=409, stale=theirs
        )
    assert saved.result is not None
    result = saved.result
    if result.problems:
        flash(
            f"Draft saved, with {len(result.problems)} problem(s) to fix before it can be "
            "published.",
            "info",
        )
    else:
        flash("Draft saved. It has no problems and every test case passes.", "success")
    return redirect(url_for("admin.version", key=key, number=number))


@bp.post("/questionnaires/<key>/versions/<int:number>/publish")
@page
def publish(key: str, number: int) -> ResponseReturnValue:
    found = version_or_404(key, number)
    if found.status != VersionStatus.DRAFT:
        abort(409)
    if request.form.get("confirmed") != "yes":  # publishing asks first (views_questions)
        return redirect(url_for("admin.publish_confirm", key=key, number=number))
    revision = _posted_revision()
    published = attempt(
        lambda: drafts.publish(
            db.session, actor(), check_context(), found, expected_revision=revision
        ),
        refuse=(drafts.AdminError,),
    )
    if isinstance(published.refusal, drafts.DraftRefused):
        refused = published.refusal
        found = version_or_404(key, number)
        texts = drafts.source_texts(db.session, found, form_schemas())
        result = check_draft(texts, key=key, version=number, context=check_context())
        source = drafts.source_of(db.session, found)
        flash(str(refused), "info")
        return _render_version(
            found,
            texts,
            result,
            revision=source.revision if source else 0,
            status=422,
            publish_problems=refused.problems,
        )
    if published.refusal is not None:
        flash(f"{published.refusal} Nothing was published.", "info")
        return redirect(url_for("admin.version", key=key, number=number))
    flash(
        f"Version {number} is published. New assessments use it; those in progress stay on "
        "their version.",
        "success",
    )
    return redirect(url_for("admin.questionnaires"))


@bp.post("/questionnaires/<key>/versions/<int:number>/retire")
@page
def retire(key: str, number: int) -> ResponseReturnValue:
    found = version_or_404(key, number)
    retired = attempt(
        lambda: drafts.retire(db.session, actor(), found), refuse=(drafts.AdminError,)
    )
    if retired.refusal is not None:
        flash(str(retired.refusal), "info")
        return redirect(url_for("admin.questionnaires"))
    flash(
        f"Version {number} is retired: no new assessment can start on it. Assessments already "
        "on it carry on.",
        "success",
    )
    return redirect(url_for("admin.questionnaires"))


@bp.post("/questionnaires/<key>/versions/<int:number>/delete")
@page
def discard(key: str, number: int) -> ResponseReturnValue:
    found = version_or_404(key, number)
    discarded = attempt(
        lambda: drafts.discard_draft(db.session, actor(), found), refuse=(drafts.AdminError,)
    )
    if not discarded.done:
        abort(409)
    # after the commit, so that no one rebuilds the deleted draft meanwhile
    after_this_request(_clear_draft_cache)
    flash(f"The draft, version {number}, was deleted.", "success")
    return redirect(url_for("admin.questionnaires"))


# --------------------------------------------------------------------------------- preview


@bp.route("/questionnaires/<key>/versions/<int:number>/preview", methods=["GET", "POST"])
def preview_page(key: str, number: int) -> ResponseReturnValue:
    """The version section by section as an assessor sees it, with the rules' decision on the
    answers given here. The answers travel in the page; nothing is stored."""
    from ..forms import error_summary, read_section, section_form

    found = version_or_404(key, number)
    runtime = version_runtime(found)
    if runtime.questionnaire is None:
        return render_template("admin/preview.html", version=found, runtime=runtime, form=None), 422
    sections = [s.name for s in runtime.questionnaire.structure.sections]
    section = request.values.get("section") or sections[0]
    if section not in sections:
        abort(404)
    answers = preview.parse_answers(request.form.get("_preview_answers"))
    errors: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        post = read_section(runtime.questionnaire, section, answers, request.form)
        if post.action is None and post.ok:
            answers = post.answers
            target = request.form.get("goto") or section
            section = target if target in sections else section
            form = section_form(runtime.questionnaire, section, answers)
        else:
            form = post.form
            if post.action is None:
                errors, status = post.error_list, 422
    else:
        form = section_form(runtime.questionnaire, section, answers)
    if not errors:
        errors = error_summary(form) if request.method == "POST" and status == 422 else []
    decision = preview.decide(runtime, answers)
    return render_template(
        "admin/preview.html",
        version=found,
        runtime=runtime,
        form=form,
        section=form.section,
        sections=runtime.questionnaire.structure.sections,
        answers=answers,
        error_list=errors,
        decision=decision,
        trace=[entry.to_dict() for entry in decision.trace] if decision else [],
    ), status


@bp.route("/questionnaires/<key>/versions/<int:number>/what-if", methods=["GET", "POST"])
@page
def what_if_page(key: str, number: int) -> ResponseReturnValue:
    """Recent submitted assessments re-scored under this version's rules (stored as "what if"
    decisions, never acted on); the whole decision is compared."""
    from . import what_if

    found = version_or_404(key, number)
    report = None
    if request.method == "POST":
        rescored = attempt(
            lambda: what_if.rescore(
                db.session, actor(), version_cache(), found, version_runtime(found)
            ),
            refuse=(drafts.AdminError,),
        )
        if rescored.refusal is not None:
            flash(str(rescored.refusal), "info")
            return redirect(url_for("admin.version", key=key, number=number))
        report = rescored.result
    return render_template("admin/what_if.html", version=found, report=report, limit=what_if.LIMIT)


# --------------------------------------------------------------------------------- compare


@bp.get("/questionnaires/<key>/compare")
def compare(key: str) -> ResponseReturnValue:
    """What changed between two versions (by default the latest and the one before)."""
    questionnaire = questionnaire_services.find_questionnaire(db.session, key)
    if questionnaire is None:
        abort(404)
    numbers = sorted(v.version for v in questionnaire.versions)
    if len(numbers) < 2:
        return render_template(
            "admin/compare.html", questionnaire=questionnaire, comparison=None, numbers=numbers
        )
    try:
        old_number = int(request.args.get("from", numbers[-2]))
        new_number = int(request.args.get("to", numbers[-1]))
    except ValueError:
        abort(400)
    old, new = version_or_404(key, old_number), version_or_404(key, new_number)
    result = preview.comparison(version_runtime(old), version_runtime(new), old, new)
    return render_template(
        "admin/compare.html",
        questionnaire=questionnaire,
        comparison=result,
        numbers=numbers,
        old=old,
        new=new,
    )


# ------------------------------------------------------------------------- import / export


@bp.get("/questionnaires/<key>/versions/<int:number>/export")
def export(key: str, number: int) -> ResponseReturnValue:
    """The version as one bundle file, or one of its three files (``?part=``)."""
    found = version_or_404(key, number)
    part = request.args.get("part")
    if part is None:
        body, name = (
            drafts.export_bundle(db.session, found, form_schemas()),
            f"{key}-v{number}.bundle.json",
        )
    elif part in PARTS:
        body = drafts.source_texts(db.session, found, form_schemas()).get(part)
        name = file_names(key, number)[part].replace("/", "-")
    else:
        abort(404)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _upload_text(storage: Any) -> str | None:
    if storage is None or not getattr(storage, "filename", ""):
        return None
    raw = storage.read(drafts_limit() + 1)
    if len(raw) > drafts_limit():
        raise drafts.DraftRefused(
            "The file is too large",
            [Problem(storage.filename, "", "the file is over the size limit", "size", 1)],
        )
    try:
        return str(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise drafts.DraftRefused(
            "The file is not UTF-8 text",
            [Problem(storage.filename, "", "the file is not UTF-8 text", "json", 1)],
        ) from None


def drafts_limit() -> int:
    from ..questionnaires.documents import MAX_DOCUMENT_BYTES

    return MAX_DOCUMENT_BYTES


@bp.route("/questionnaires/import", methods=["GET", "POST"])
@page
def import_page() -> ResponseReturnValue:
    """Import a bundle, or the three files, as a new draft; refused with every problem shown."""
    form = ImportForm()
    problems: list[Any] = []
    if form.validate_on_submit():

        def imported() -> QuestionnaireVersion | None:
            nonlocal problems
            bundle = _upload_text(request.files.get("bundle"))
            if bundle is not None:
                texts, problems = drafts.bundle_texts(bundle)
            else:
                parts = [_upload_text(request.files.get(part)) for part in PARTS]
                if parts[0] is None:
                    form.bundle.errors = ["Choose a bundle file, or the questionnaire's files"]
                    return None
                texts = DraftTexts(parts[0], parts[1] or "", parts[2] or "")
            if texts is None or problems:
                return None
            return drafts.import_draft(db.session, actor(), check_context(), texts)

        done = attempt(imported, refuse=(drafts.AdminError,))
        if done.result is not None:
            draft = done.result
            flash(f"Imported as a draft, version {draft.version}.", "success")
            return redirect(
                url_for("admin.version", key=draft.questionnaire.key, number=draft.version)
            )
        if isinstance(done.refusal, drafts.DraftRefused):
            problems = done.refusal.problems
        if done.refusal is not None:
            form.bundle.errors = [str(done.refusal)]
    status = 422 if (form.errors or problems) else 200
    return render_template("admin/import.html", form=form, problems=problems), status
