"""Start-up compiles every published version, so that no request pays for it (gunicorn.conf.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from assessment_engine.questionnaires.models import QuestionnaireVersion, VersionStatus
from assessment_engine.questionnaires.runtime import VersionCache
from assessment_engine.questionnaires.services import prepare_published, prepared


def test_every_published_version_is_ready_before_its_first_use(app: Any, db_session: Any) -> None:
    cache = VersionCache(Path(app.config["FORM_SCHEMAS_DIR"]), app.extensions["assessment_rules"])
    published = db_session.scalar(
        select(func.count())
        .select_from(QuestionnaireVersion)
        .where(QuestionnaireVersion.status == VersionStatus.PUBLISHED)
    )
    assert published and prepare_published(db_session, cache) == published

    def compile_again() -> Any:
        raise AssertionError("compiled on first use, not at start-up")

    for version in db_session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.status == VersionStatus.PUBLISHED)
    ):
        found = cache.get(version.id, version.checksum, compile_again)
        assert found is prepared(db_session, cache, version)
        assert (found.key, found.version) == (version.questionnaire.key, version.version)


def test_every_column_type_is_adapted_to_the_database_before_the_first_request(
    monkeypatch: Any,
) -> None:
    """SQLAlchemy works out a type's form for a dialect on first use, per process; start-up
    does it for every column, so a worker's first query finds each one done."""
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
    from sqlalchemy.types import TypeEngine

    from assessment_engine.db import adapt_column_types
    from assessment_engine.extensions import db

    dialect = PGDialect_psycopg()
    assert adapt_column_types(db.metadata, dialect) > 100

    def adapt_again(*_args: Any) -> Any:
        raise AssertionError("adapted on first use, not at start-up")

    monkeypatch.setattr(TypeEngine, "_gen_dialect_impl", adapt_again)
    for table in db.metadata.tables.values():
        for column in table.columns:
            assert column.type.dialect_impl(dialect) is not None
