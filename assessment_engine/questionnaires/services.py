"""Questionnaire versions: listing what is published, and loading documents from form_schemas/."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .models import Questionnaire, QuestionnaireVersion, VersionStatus


def published_versions(session: Session) -> list[QuestionnaireVersion]:
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


class SchemaLoadError(Exception):
    """form_schemas/ holds documents that cannot be loaded; ``problems`` says where and why."""

    def __init__(self, problems: list[object]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def load_directory(session: Session, directory: object) -> list[str]:
    """Filled in with the document loader (see questionnaires.documents)."""
    return []
