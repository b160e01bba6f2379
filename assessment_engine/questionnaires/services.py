"""Questionnaire versions: listing what is published, and loading documents from form_schemas/."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from ..db import DbSession
from ..kernel.actor import Actor
from ..partners.models import Service
from ..scoring.cases import CaseResult, run_cases
from ..scoring.registry import RuleRegistry
from ..scoring.services import ServiceSpec, service_catalogue
from . import catalogue as catalogue_module
from .models import Questionnaire, QuestionnaireVersion, VersionStatus
from .problems import Problem
from .publishing import mark_published
from .runtime import PreparedVersion, VersionCache, checksum, prepare, registry_of, rules_problems
from .types.registry import QuestionTypes


def published_versions(session: DbSession) -> list[QuestionnaireVersion]:
    """The latest published version of each questionnaire, by title."""
    rows = session.scalars(
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(QuestionnaireVersion.status == VersionStatus.PUBLISHED)
        .options(joinedload(QuestionnaireVersion.questionnaire))
        .order_by(Questionnaire.title, QuestionnaireVersion.version.desc())
    ).all()
    latest: dict[int, QuestionnaireVersion] = {}
    for row in rows:
        latest.setdefault(row.questionnaire_id, row)
    return list(latest.values())


#: Beyond any questionnaire's versions, and beyond a database integer.
MAX_VERSION = 999_999


def find_questionnaire(session: DbSession, key: str) -> Questionnaire | None:
    return session.scalar(select(Questionnaire).where(Questionnaire.key == key))


def find_version(
    session: DbSession, key: str, number: int, *, drafts: bool
) -> QuestionnaireVersion | None:
    """Version ``number`` of questionnaire ``key``, or None; drafts only when ``drafts``
    (administrators and their systems). The one look-up of a version by key and number."""
    if not 0 < number <= MAX_VERSION:
        return None
    found = session.scalar(
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.key == key, QuestionnaireVersion.version == number)
        .options(joinedload(QuestionnaireVersion.questionnaire))
    )
    if found is None or (found.status is VersionStatus.DRAFT and not drafts):
        return None
    return found


@cache
def _latest_published_statement() -> Select[QuestionnaireVersion]:
    """:func:`latest_published`'s statement, built once (the key is bound)."""
    return (
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(
            Questionnaire.key == bindparam("key", type_=Questionnaire.key.type),
            QuestionnaireVersion.status == VersionStatus.PUBLISHED,
        )
        .order_by(QuestionnaireVersion.version.desc())
        .limit(1)
        .options(contains_eager(QuestionnaireVersion.questionnaire))
    )


def latest_published(session: DbSession, key: str) -> QuestionnaireVersion | None:
    """The version new assessments of ``key`` start on."""
    return session.scalar(_latest_published_statement(), {"key": key})


def published_from_source(
    session: DbSession, key: str, url: str, version: str | None
) -> int | None:
    """The newest published version of ``key`` imported from the FHIR Questionnaire
    ``url|version`` (as its document's ``x-fhir`` says), or None."""
    rows = session.scalars(
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.key == key, QuestionnaireVersion.status == VersionStatus.PUBLISHED)
        .order_by(QuestionnaireVersion.version.desc())
    ).all()
    for row in rows:
        kept = (row.document or {}).get("x-fhir")
        if (
            isinstance(kept, Mapping)
            and kept.get("url") == url
            and (version is None or kept.get("version") == version)
        ):
            return row.version
    return None


class SchemaLoadError(Exception):
    """form_schemas/ holds documents that cannot be loaded; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def services_catalogue(session: DbSession, form_schemas: Path) -> dict[str, ServiceSpec]:
    """Services the rules may refer to: the database's, or (before any exist) the bundled list."""
    rows = session.scalars(select(Service).join(Service.organisation)).all()
    if rows:
        return {
            row.slug: ServiceSpec(row.slug, row.kind.value, row.organisation.slug, row.name)
            for row in rows
        }
    bundled = form_schemas / "services.json"
    if bundled.exists():
        return service_catalogue(json.loads(bundled.read_text(encoding="utf-8")))
    return {}


def _read_sibling(path: Path, root: Path, default: Any) -> tuple[Any, list[Problem]]:
    name = path.relative_to(root).as_posix()
    if not path.exists():
        return default, []
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        line = getattr(error, "lineno", None)
        return default, [Problem(name, "", f"not valid JSON: {error}", "json", line)]


def _exempt_names(exempt: Any) -> frozenset[str]:
    """The case names a ``v<N>.cases-exempt.json`` lists: cases of a published version whose
    ``given`` the questionnaire refuses, kept because a published version never changes
    (``{"exempt": [{"name": "...", "why": "..."}]}``)."""
    listed = exempt.get("exempt") if isinstance(exempt, Mapping) else None
    if not isinstance(listed, list):
        return frozenset()
    return frozenset(
        str(entry["name"]) for entry in listed if isinstance(entry, Mapping) and "name" in entry
    )


@dataclass(frozen=True)
class CheckedVersion:
    """One version of a form_schemas/ directory, checked: its content and its case results."""

    key: str
    version: int
    document: Mapping[str, Any]
    rules: Any
    cases: Any
    case_results: list[CaseResult]


def check_directory(
    session: DbSession,
    directory: Path,
    rule_registry: RuleRegistry,
    question_types: QuestionTypes | None = None,
) -> tuple[list[CheckedVersion], list[Problem]]:
    """Check every version in ``directory``: documents, rules and test cases; every problem."""
    loaded = catalogue_module.load_directory(directory, question_types)
    problems = list(loaded.problems)
    services = services_catalogue(session, directory)
    checked = []
    for key, version in loaded:
        compiled = loaded.get(key, version)
        rules_file, cases_file = f"{key}/v{version}.rules.json", f"{key}/v{version}.cases.json"
        rules, rule_file_problems = _read_sibling(directory / rules_file, directory, {})
        cases, case_file_problems = _read_sibling(directory / cases_file, directory, {"cases": []})
        problems += rule_file_problems + case_file_problems
        ruleset, found = rules_problems(
            compiled,
            rules,
            {"cases": []},
            key=key,
            version=version,
            rule_registry=rule_registry,
            services=services,
            rules_file=rules_file,
            cases_file=cases_file,
        )
        problems += found
        exempt_file = f"{key}/v{version}.cases-exempt.json"
        exempt, exempt_problems = _read_sibling(directory / exempt_file, directory, {})
        problems += exempt_problems
        results = (
            run_cases(
                ruleset,
                cases,
                validate=compiled.refused_case_answers,
                exempt=_exempt_names(exempt),
            )
            if ruleset is not None
            else []
        )
        problems += [
            Problem(cases_file, r.pointer, f"{r.name}: " + "; ".join(r.failures), "cases")
            for r in results
            if not r.passed
        ]
        checked.append(CheckedVersion(key, version, compiled.document, rules, cases, results))
    return checked, problems


def load_directory(
    session: DbSession,
    directory: Path,
    rule_registry: RuleRegistry,
    actor: Actor | None = None,
    question_types: QuestionTypes | None = None,
) -> list[str]:
    """Load every questionnaire version of ``directory`` as published, idempotently.

    Every document is checked (JSON Schema, our extensions, what the renderer supports), its
    rules compiled and its test cases run; if anything at all is wrong nothing is loaded and
    :class:`SchemaLoadError` lists every problem with its file and JSON pointer. A file that
    differs from a version already published is refused: published versions never change.
    Each version published is audited as the editor's are, by ``actor`` (the system's
    ``load-schemas`` task unless another is given).
    """
    actor = actor or Actor.system("load-schemas")
    checked, problems = check_directory(session, Path(directory), rule_registry, question_types)
    if problems:
        raise SchemaLoadError(problems)
    report = [
        _store_published(session, actor, c.key, c.version, dict(c.document), c.rules, c.cases)
        for c in checked
    ]
    session.flush()
    return report


def _store_published(
    session: DbSession,
    actor: Actor,
    key: str,
    version: int,
    document: dict[str, Any],
    rules: Any,
    cases: Any,
) -> str:
    title = str(document.get("title") or key)
    digest = checksum(document, rules, cases)
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    if questionnaire is None:
        questionnaire = Questionnaire(key=key, title=title)
        session.add(questionnaire)
        session.flush()
    existing = find_version(session, key, version, drafts=True)
    if existing is not None:
        if existing.checksum == digest:
            return f"{key} version {version}: unchanged"
        if existing.status != VersionStatus.DRAFT:
            raise SchemaLoadError(
                [
                    Problem(
                        f"{key}/v{version}.json",
                        "",
                        f"differs from {key} version {version}, which is already {existing.status}"
                        f" and can never change; save your changes as v{_next(questionnaire)}.json",
                        "published",
                    )
                ]
            )
        mark_published(session, actor, existing, document, rules, cases)
        return f"{key} version {version}: published (was a draft)"
    new = QuestionnaireVersion(
        questionnaire=questionnaire,
        version=version,
        status=VersionStatus.DRAFT,
        title=title,
        document=document,
        rules=rules,
        test_cases=cases,
        checksum=digest,
    )
    mark_published(session, actor, new, document, rules, cases)
    return f"{key} version {version}: loaded and published"


def _next(questionnaire: Questionnaire) -> int:
    return max((v.version for v in questionnaire.versions), default=0) + 1


def prepared(
    session: DbSession, cache: VersionCache, version: QuestionnaireVersion
) -> PreparedVersion:
    """The compiled form of a stored version, from the per-process cache (built on first use)."""

    def build() -> PreparedVersion:
        services = services_catalogue(session, cache.form_schemas)
        others = session.scalars(
            select(QuestionnaireVersion.document).where(
                QuestionnaireVersion.status != VersionStatus.DRAFT
            )
        ).all()
        return prepare(
            key=version.questionnaire.key,
            version=version.version,
            document=version.document,
            rules=version.rules,
            test_cases=version.test_cases,
            extensions=cache.extensions,
            registry=registry_of([*others, version.document]),
            rule_registry=cache.rule_registry,
            services=services,
            question_types=cache.question_types,
        )

    return cache.get(version.id, version.checksum, build)


def prepare_published(session: DbSession, cache: VersionCache) -> int:
    """Compile every published version into ``cache`` now (at start-up, before the first
    request, so that no request pays for it); how many. Versions published later are compiled
    on first use, as before."""
    versions = session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.status == VersionStatus.PUBLISHED)
        .options(joinedload(QuestionnaireVersion.questionnaire))
    ).all()
    for version in versions:
        prepared(session, cache, version)
    return len(versions)
