"""Storing an imported questionnaire as a new draft version, and publishing a draft.

Small additions on top of ``questionnaires`` (which loads published versions from
``form_schemas/`` but has no draft or publish service yet); the admin editor should own these
once it exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..auth.actor import Actor
from ..db import utcnow
from ..questionnaires.models import Questionnaire, QuestionnaireVersion, VersionStatus
from ..questionnaires.problems import QuestionnaireError
from ..questionnaires.runtime import VersionCache, checksum, prepare, registry_of
from ..questionnaires.services import services_catalogue
from ..records.audit import record_event


def next_version(session: Session, key: str) -> int:
    """The number the next version of ``key`` gets (1 for a new questionnaire)."""
    highest = session.scalar(
        select(func.max(QuestionnaireVersion.version))
        .join(Questionnaire)
        .where(Questionnaire.key == key)
    )
    return (highest or 0) + 1


def store_draft(
    session: Session,
    actor: Actor,
    *,
    key: str,
    version: int,
    title: str,
    document: Mapping[str, Any],
) -> QuestionnaireVersion:
    """A new draft version (no rules, no test cases yet), audited."""
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.key == key))
    if questionnaire is None:
        questionnaire = Questionnaire(key=key, title=title)
        session.add(questionnaire)
        session.flush()
    draft = QuestionnaireVersion(
        questionnaire=questionnaire,
        version=version,
        status=VersionStatus.DRAFT,
        title=title,
        document=dict(document),
        rules={},
        test_cases=[],
        checksum=checksum(dict(document), {}, []),
        created_by_id=actor.user_id,
    )
    session.add(draft)
    session.flush()
    record_event(
        session,
        actor,
        "questionnaire.draft",
        record_type="questionnaire_version",
        record_id=draft.id,
        detail={"questionnaire": draft.ruleset_name, "source": "fhir"},
    )
    return draft


def publish(
    session: Session, actor: Actor, cache: VersionCache, draft: QuestionnaireVersion
) -> QuestionnaireVersion:
    """Publish a draft whose document, rules and test cases all pass their checks.

    Raises :class:`QuestionnaireError` listing every problem; ValueError if not a draft.
    """
    if draft.status is not VersionStatus.DRAFT:
        raise ValueError(f"Version {draft.version} is {draft.status}, not a draft")
    others = session.scalars(
        select(QuestionnaireVersion.document).where(
            QuestionnaireVersion.status != VersionStatus.DRAFT
        )
    ).all()
    prepare(
        key=draft.questionnaire.key,
        version=draft.version,
        document=draft.document,
        rules=draft.rules,
        test_cases=draft.test_cases,
        extensions=cache.extensions,
        registry=registry_of([*others, draft.document]),
        rule_registry=cache.rule_registry,
        services=services_catalogue(session, cache.form_schemas),
    )
    draft.status = VersionStatus.PUBLISHED
    draft.published_at = utcnow()
    draft.published_by_id = actor.user_id
    session.flush()
    record_event(
        session,
        actor,
        "questionnaire.publish",
        record_type="questionnaire_version",
        record_id=draft.id,
        detail={"questionnaire": draft.ruleset_name},
    )
    return draft


__all__ = ["QuestionnaireError", "next_version", "publish", "store_draft"]
