"""Questionnaire drafts: start, save, publish, retire, discard, import and export.

Services take the session and the acting :class:`Actor`, never the request; the view commits.
Every change is audited (record type ``questionnaire_version``). A published version never
changes: these services refuse, the ORM guard on the model refuses, and the database triggers
refuse. A draft with problems can be saved (work is never lost) but never published.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..bad_bytes import MESSAGE, json_pointers
from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError, StaleEdit
from .checks import CheckContext, DraftCheck, DraftTexts, check_draft, file_names
from .documents import BASE_URI, KEY_PATTERN, document_uri
from .draft_sources import DraftSource
from .models import Questionnaire, QuestionnaireVersion, VersionStatus
from .problems import Problem, QuestionnaireError
from .publishing import RECORD_TYPE, mark_published
from .runtime import VersionCache, checksum, prepare, registry_of
from .services import services_catalogue

_ID_PATTERN = re.compile(
    re.escape(BASE_URI) + r"([a-z0-9][a-z0-9-]{0,62})/v([1-9][0-9]{0,5})\.json$"
)


class AdminError(DomainError):
    """Something the administrator can put right, said in words they understand."""


class StaleDraft(AdminError, StaleEdit):
    """Someone saved the draft since this editor loaded it; nothing was overwritten."""

    def __init__(self, current: DraftSource) -> None:
        super().__init__(
            "Someone else saved this draft since you opened it. Your text is below, unsaved; "
            "their saved text is shown beside it. Copy what you need, then save again."
        )
        self.current = current


class DraftRefused(AdminError):
    """The draft (or import) does not pass its checks; ``problems`` lists every one."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems


def check_context(session: DbSession, cache: VersionCache) -> CheckContext:
    """What drafts are checked against: the published documents, rule kinds and services."""
    others = session.scalars(
        select(QuestionnaireVersion.document).where(
            QuestionnaireVersion.status != VersionStatus.DRAFT
        )
    ).all()
    return CheckContext(
        extensions=cache.extensions,
        registry=registry_of(others),
        rule_registry=cache.rule_registry,
        services=services_catalogue(session, cache.form_schemas),
        question_types=cache.question_types,
    )


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _digest_of(texts: DraftTexts) -> str | None:
    """The checksum the texts would publish as, or None when one of them is not JSON."""
    try:
        return checksum(
            json.loads(texts.document),
            json.loads(texts.rules) if texts.rules.strip() else {},
            json.loads(texts.test_cases) if texts.test_cases.strip() else {"cases": []},
        )
    except ValueError:
        return None


def source_of(session: DbSession, version: QuestionnaireVersion) -> DraftSource | None:
    return session.get(DraftSource, version.id)


def source_texts(
    session: DbSession, version: QuestionnaireVersion, form_schemas: Path
) -> DraftTexts:
    """A version's texts as people wrote them, whenever that is known to be what it holds.

    A draft's texts are its source. For a published version: the editor's texts, or the bundled
    ``form_schemas/`` files, if they are exactly what was published (same checksum); otherwise
    the stored JSON, formatted (whose key order the database may have changed).
    """
    source = source_of(session, version)
    if source is not None:
        texts = DraftTexts(source.document_text, source.rules_text, source.cases_text)
        if version.status == VersionStatus.DRAFT or _digest_of(texts) == version.checksum:
            return texts
    names = file_names(version.questionnaire.key, version.version)
    paths = {part: form_schemas / name for part, name in names.items()}
    if paths["document"].is_file():
        texts = DraftTexts(
            *(
                paths[part].read_text(encoding="utf-8") if paths[part].is_file() else ""
                for part in ("document", "rules", "test_cases")
            )
        )
        if _digest_of(texts) == version.checksum:
            return texts
    return DraftTexts(
        _dump(version.document), _dump(version.rules or {}), _dump(version.test_cases or [])
    )


def current_draft(session: DbSession, questionnaire: Questionnaire) -> QuestionnaireVersion | None:
    return session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.status == VersionStatus.DRAFT,
        )
    )


def _with_id(text: str, old_uri: str, new_uri: str) -> str:
    """The document text with its ``$id`` renumbered (a textual edit keeps the formatting)."""
    return text.replace(json.dumps(old_uri), json.dumps(new_uri), 1)


def _store(
    session: DbSession,
    actor: Actor,
    questionnaire: Questionnaire,
    number: int,
    texts: DraftTexts,
    result: DraftCheck,
    *,
    action: str,
    detail: dict[str, Any],
) -> QuestionnaireVersion:
    document = result.document or {}
    rules = result.rules or {}
    cases = result.cases if result.cases is not None else {"cases": []}
    title = document.get("title") if isinstance(document.get("title"), str) else None
    draft = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=number,
        status=VersionStatus.DRAFT,
        title=(title or questionnaire.title)[:200],
        document=document,
        rules=rules,
        test_cases=cases,
        checksum=checksum(document, rules, cases),
        created_by_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(draft)
            session.flush()
    except IntegrityError:
        raise AdminError(
            f"Someone else has just started version {number} of {questionnaire.title}; "
            "open the library to see it"
        ) from None
    session.add(
        DraftSource(
            version_id=draft.id,
            document_text=texts.document,
            rules_text=texts.rules,
            cases_text=texts.test_cases,
            revision=1,
            updated_at=utcnow(),
            updated_by_id=actor.user_id,
        )
    )
    session.flush()
    record_event(
        session,
        actor,
        action,
        record_type=RECORD_TYPE,
        record_id=draft.id,
        detail={"questionnaire": draft.ruleset_name, **detail},
    )
    return draft


def new_draft(
    session: DbSession,
    actor: Actor,
    context: CheckContext,
    questionnaire: Questionnaire,
    form_schemas: Path,
) -> QuestionnaireVersion:
    """Version N+1 as a draft, copied from the latest version; one draft at a time."""
    existing = current_draft(session, questionnaire)
    if existing is not None:
        raise AdminError(
            f"{questionnaire.title} already has a draft, version {existing.version}: "
            "edit it, publish it or delete it first"
        )
    latest = session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire.id)
        .order_by(QuestionnaireVersion.version.desc())
        .limit(1)
    )
    if latest is None:
        raise AdminError(f"{questionnaire.title} has no version to start from")
    number = latest.version + 1
    old = source_texts(session, latest, form_schemas)
    texts = DraftTexts(
        _with_id(
            old.document,
            document_uri(questionnaire.key, latest.version),
            document_uri(questionnaire.key, number),
        ),
        old.rules,
        old.test_cases,
    )
    result = check_draft(texts, key=questionnaire.key, version=number, context=context)
    return _store(
        session,
        actor,
        questionnaire,
        number,
        texts,
        result,
        action="questionnaire.draft",
        detail={"from_version": latest.version, "problems": len(result.problems)},
    )


def _ensure_draft(version: QuestionnaireVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise AdminError(
            f"Version {version.version} is {version.status} and can never change; "
            "start a new draft instead"
        )


def save_draft(
    session: DbSession,
    actor: Actor,
    context: CheckContext,
    draft: QuestionnaireVersion,
    texts: DraftTexts,
    *,
    expected_revision: int,
) -> DraftCheck:
    """Save the texts whatever their problems, and return the problems found.

    The parsed columns keep the last text that parsed, so the version always holds JSON. Raises
    :class:`StaleDraft` (saving nothing) if the draft was saved since ``expected_revision``.
    """
    _ensure_draft(draft)
    result = check_draft(texts, key=draft.questionnaire.key, version=draft.version, context=context)
    now = utcnow()
    if expected_revision == 0 and source_of(session, draft) is None:
        # A draft made elsewhere (the API's FHIR import) has no texts yet: this is revision 0.
        session.add(
            DraftSource(
                version_id=draft.id,
                document_text="",
                rules_text="",
                cases_text="",
                revision=0,
                updated_at=now,
                updated_by_id=actor.user_id,
            )
        )
        session.flush()
    outcome = session.execute(
        update(DraftSource)
        .where(DraftSource.version_id == draft.id, DraftSource.revision == expected_revision)
        .values(
            document_text=texts.document,
            rules_text=texts.rules,
            cases_text=texts.test_cases,
            revision=expected_revision + 1,
            updated_at=now,
            updated_by_id=actor.user_id,
        )
        .execution_options(synchronize_session="fetch")
    )
    if outcome.rowcount != 1:  # type: ignore[attr-defined]
        current = session.get(DraftSource, draft.id, populate_existing=True)
        if current is None:
            raise AdminError("This draft no longer exists")
        raise StaleDraft(current)
    if result.document is not None:
        draft.document = result.document
        title = result.document.get("title")
        if isinstance(title, str) and title.strip():
            draft.title = title.strip()[:200]
    if result.rules is not None:
        draft.rules = result.rules
    if result.cases is not None:
        draft.test_cases = result.cases
    draft.checksum = checksum(draft.document, draft.rules, draft.test_cases)
    session.flush()
    record_event(
        session,
        actor,
        "questionnaire.save",
        record_type=RECORD_TYPE,
        record_id=draft.id,
        detail={
            "questionnaire": draft.ruleset_name,
            "revision": expected_revision + 1,
            "problems": len(result.problems),
        },
    )
    return result


def publish(
    session: DbSession,
    actor: Actor,
    context: CheckContext,
    draft: QuestionnaireVersion,
    *,
    expected_revision: int,
) -> QuestionnaireVersion:
    """Make the draft the new immutable version, if it has no problems and every case passes.

    New assessments start on it (the latest published version); those in progress stay on
    theirs. The revision must be the one the administrator saw, so what is published is what
    they checked.
    """
    _ensure_draft(draft)
    source = source_of(session, draft)
    if source is None:
        # A draft made elsewhere (the API's FHIR import), never edited here: revision 0.
        source = DraftSource(version_id=draft.id, revision=0, updated_by_id=actor.user_id)
        texts = DraftTexts(
            _dump(draft.document), _dump(draft.rules or {}), _dump(draft.test_cases or [])
        )
        source.document_text, source.rules_text, source.cases_text = (
            texts.document,
            texts.rules,
            texts.test_cases,
        )
        session.add(source)
        session.flush()
    texts = DraftTexts(source.document_text, source.rules_text, source.cases_text)
    result = check_draft(texts, key=draft.questionnaire.key, version=draft.version, context=context)
    if result.problems or result.document is None:
        raise DraftRefused(
            f"Version {draft.version} has {len(result.problems)} problem(s) and cannot be "
            "published until they are fixed",
            result.problems,
        )
    document, rules = result.document, result.rules or {}
    cases = result.cases if result.cases is not None else {"cases": []}
    listed = cases.get("cases", []) if isinstance(cases, dict) else cases
    if rules.get("rules") and not listed:
        # Scores decide nothing until cases show they add up (as for the bundled versions).
        raise DraftRefused(
            f"Version {draft.version} has rules but no test cases; add at least one case "
            "showing what its answers decide before publishing",
            [
                Problem(
                    file_names(draft.questionnaire.key, draft.version)["test_cases"],
                    "/cases",
                    "a version with rules needs at least one test case before it is published",
                    "cases",
                )
            ],
        )
    try:  # the same check the runtime uses, once more, as the last guard
        prepare(
            key=draft.questionnaire.key,
            version=draft.version,
            document=document,
            rules=rules,
            test_cases=cases,
            extensions=context.extensions,
            registry=registry_of([*_published_documents(session), document]),
            rule_registry=context.rule_registry,
            services=context.services,
            question_types=context.question_types,
        )
    except QuestionnaireError as error:
        raise DraftRefused("The draft does not pass its checks", list(error.problems)) from None
    bumped = session.execute(
        update(DraftSource)
        .where(DraftSource.version_id == draft.id, DraftSource.revision == expected_revision)
        .values(revision=expected_revision + 1)
        .execution_options(synchronize_session="fetch")
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleDraft(source)
    return mark_published(session, actor, draft, document, rules, cases)


def _published_documents(session: DbSession) -> list[Any]:
    return list(
        session.scalars(
            select(QuestionnaireVersion.document).where(
                QuestionnaireVersion.status != VersionStatus.DRAFT
            )
        )
    )


def retire(session: DbSession, actor: Actor, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """Stop new assessments starting on ``version``; those already on it carry on."""
    if version.status != VersionStatus.PUBLISHED:
        raise AdminError(f"Only a published version can be retired; this one is {version.status}")
    version.status = VersionStatus.RETIRED
    version.retired_at = utcnow()
    session.flush()
    record_event(
        session,
        actor,
        "questionnaire.retire",
        record_type=RECORD_TYPE,
        record_id=version.id,
        detail={"questionnaire": version.ruleset_name},
    )
    return version


def discard_draft(session: DbSession, actor: Actor, draft: QuestionnaireVersion) -> None:
    """Delete a draft and its texts (only drafts can be deleted)."""
    _ensure_draft(draft)
    name, draft_id = draft.ruleset_name, draft.id
    source = source_of(session, draft)
    if source is not None:
        session.delete(source)
    session.delete(draft)
    session.flush()
    record_event(
        session,
        actor,
        "questionnaire.discard",
        record_type=RECORD_TYPE,
        record_id=draft_id,
        detail={"questionnaire": name},
    )


# ---------------------------------------------------------------------------- import / export


def bundle_texts(text: str) -> tuple[DraftTexts | None, list[Problem]]:
    """The three texts of a bundle file ``{"document", "rules", "test_cases"}``."""
    try:
        value = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        return None, [Problem("bundle", "", f"not valid JSON: {error}", "json", line)]
    if not isinstance(value, dict) or not isinstance(value.get("document"), dict):
        message = 'a bundle is a JSON object with "document", "rules" and "test_cases"'
        return None, [Problem("bundle", "", message, "json", 1)]
    bad = next(json_pointers(value), None)
    if bad is not None:
        return None, [Problem("bundle", bad, f"the bundle {MESSAGE}", "json", 1)]
    return (
        DraftTexts(
            _dump(value["document"]),
            _dump(value.get("rules") or {}),
            _dump(value.get("test_cases") or {"cases": []}),
        ),
        [],
    )


def import_draft(
    session: DbSession, actor: Actor, context: CheckContext, texts: DraftTexts
) -> QuestionnaireVersion:
    """A new draft from imported files: the next version of the questionnaire its ``$id`` names.

    Refused, with every problem and nothing stored, unless it passes every check and case.
    """
    try:
        uri = json.loads(texts.document).get("$id")
    except (ValueError, AttributeError):
        uri = None
    match = _ID_PATTERN.match(uri) if isinstance(uri, str) else None
    if match is None or not KEY_PATTERN.match(match.group(1)):
        raise DraftRefused(
            "The questionnaire cannot be imported",
            [
                Problem(
                    "document", "/$id", f'"$id" must look like {BASE_URI}<key>/v<N>.json', "json"
                )
            ],
        )
    key = match.group(1)
    number = next_version(session, key)
    renumbered = DraftTexts(
        _with_id(texts.document, uri, document_uri(key, number)), texts.rules, texts.test_cases
    )
    return store_new_draft(
        session,
        actor,
        context,
        key=key,
        number=number,
        texts=renumbered,
        action="questionnaire.import",
        detail={"imported_as": number, "imported_id": uri[:300]},
    )


def next_version(session: DbSession, key: str) -> int:
    """The number the next version of ``key`` gets (1 for a new questionnaire)."""
    highest = session.scalar(
        select(func.max(QuestionnaireVersion.version))
        .join(Questionnaire)
        .where(Questionnaire.key == key)
    )
    return (highest or 0) + 1


def store_new_draft(
    session: DbSession,
    actor: Actor,
    context: CheckContext,
    *,
    key: str,
    number: int,
    texts: DraftTexts,
    action: str,
    detail: dict[str, Any],
) -> QuestionnaireVersion:
    """Version ``number`` of ``key`` as a new draft, from files or another system (FHIR).

    One draft per questionnaire at a time (AdminError); refused with every problem, and nothing
    stored, unless it passes every check and case (DraftRefused).
    """
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    if questionnaire is not None and current_draft(session, questionnaire) is not None:
        raise AdminError(f"{questionnaire.title} already has a draft; publish or delete it first")
    result = check_draft(texts, key=key, version=number, context=context)
    if result.problems or result.document is None:
        raise DraftRefused(
            f"The files have {len(result.problems)} problem(s); nothing was imported",
            result.problems,
        )
    if questionnaire is None:
        questionnaire = Questionnaire(key=key, title=str(result.document.get("title") or key))
        session.add(questionnaire)
        session.flush()
    return _store(
        session, actor, questionnaire, number, texts, result, action=action, detail=detail
    )


def current_revision(session: DbSession, draft: QuestionnaireVersion) -> int:
    """The revision a publish must name: the draft's saved texts, or 0 if never edited here."""
    source = source_of(session, draft)
    return source.revision if source is not None else 0


def export_bundle(session: DbSession, version: QuestionnaireVersion, form_schemas: Path) -> str:
    """A bundle file of a version: key, version and its three parts (in their written order)."""
    texts = source_texts(session, version, form_schemas)
    parts: dict[str, Any] = {}
    for part, stored in (
        ("document", version.document),
        ("rules", version.rules),
        ("test_cases", version.test_cases),
    ):
        try:
            parts[part] = json.loads(texts.get(part)) if texts.get(part).strip() else stored
        except ValueError:
            parts[part] = stored
    return _dump({"key": version.questionnaire.key, "version": version.version, **parts})
