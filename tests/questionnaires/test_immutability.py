"""A published questionnaire version never changes: in the ORM and in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assessment_engine.questionnaires.models import (
    ImmutableRecordError,
    Questionnaire,
    QuestionnaireVersion,
    VersionStatus,
)


def _version(db_session, status=VersionStatus.PUBLISHED) -> QuestionnaireVersion:
    q = Questionnaire(key="frozen-test", title="Frozen")
    version = QuestionnaireVersion(
        questionnaire=q,
        version=1,
        status=status,
        title="Frozen",
        document={"type": "object"},
        rules={},
        test_cases=[],
        checksum="0" * 64,
    )
    db_session.add(version)
    db_session.flush()
    return version


def test_a_draft_can_change(db_session) -> None:
    version = _version(db_session, VersionStatus.DRAFT)
    version.document = {"type": "object", "title": "changed"}
    db_session.flush()
    version.status = VersionStatus.PUBLISHED
    db_session.flush()


@pytest.mark.parametrize("field", ["document", "rules", "test_cases"])
def test_the_orm_refuses_to_change_a_published_version(db_session, field) -> None:
    version = _version(db_session)
    setattr(version, field, {"changed": True} if field != "test_cases" else [1])
    with pytest.raises(ImmutableRecordError, match="cannot change"):
        db_session.flush()
    db_session.rollback()


def test_a_published_version_cannot_go_back_to_draft(db_session) -> None:
    version = _version(db_session)
    version.status = VersionStatus.DRAFT
    with pytest.raises(ImmutableRecordError):
        db_session.flush()
    db_session.rollback()


def test_a_published_version_can_be_retired_but_not_deleted(db_session) -> None:
    version = _version(db_session)
    version.status = VersionStatus.RETIRED
    db_session.flush()
    db_session.delete(version)
    with pytest.raises(ImmutableRecordError):
        db_session.flush()
    db_session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE questionnaire_versions SET checksum = 'x' WHERE id = :id",
        "UPDATE questionnaire_versions SET status = 'draft' WHERE id = :id",
        "DELETE FROM questionnaire_versions WHERE id = :id",
    ],
)
def test_the_database_refuses_too(db_session, statement) -> None:
    version = _version(db_session)
    nested = db_session.begin_nested()
    with pytest.raises(DBAPIError):
        db_session.execute(text(statement), {"id": version.id})
    nested.rollback()
