"""The one read the API needs that the domain services do not offer: a page of versions."""

from __future__ import annotations

from ..db import DbSession
from ..questionnaires.models import QuestionnaireVersion
from ..questionnaires.services import published_versions


def published_page(session: DbSession, after: str | None, limit: int) -> list[QuestionnaireVersion]:
    """The latest published version of each questionnaire, by key, after ``after``."""
    versions = sorted(published_versions(session), key=lambda v: v.questionnaire.key)
    if after is not None:
        versions = [v for v in versions if v.questionnaire.key > after]
    return versions[:limit]
