"""The few reads the API needs that the domain services do not offer (paged and by key)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..questionnaires.models import Questionnaire, QuestionnaireVersion, VersionStatus
from ..questionnaires.services import published_versions

MAX_VERSION = 999_999


def published_page(session: Session, after: str | None, limit: int) -> list[QuestionnaireVersion]:
    """The latest published version of each questionnaire, by key, after ``after``."""
    versions = sorted(published_versions(session), key=lambda v: v.questionnaire.key)
    if after is not None:
        versions = [v for v in versions if v.questionnaire.key > after]
    return versions[:limit]


def find_version(
    session: Session, key: str, version: int, *, drafts: bool
) -> QuestionnaireVersion | None:
    """One version of ``key``; drafts only when ``drafts`` (administrators' systems)."""
    if not 0 < version <= MAX_VERSION:  # beyond any version, and beyond a database integer
        return None
    found = session.scalar(
        select(QuestionnaireVersion)
        .join(Questionnaire)
        .where(Questionnaire.key == key, QuestionnaireVersion.version == version)
        .options(joinedload(QuestionnaireVersion.questionnaire))
    )
    if found is None or (found.status is VersionStatus.DRAFT and not drafts):
        return None
    return found
