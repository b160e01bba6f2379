"""The migrations: one head, they build the models' schema exactly, and they go back down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from assessment_engine import create_app
from assessment_engine.extensions import db, migrate


def _alembic_config(app):
    with app.app_context():
        return migrate.get_config()


def test_there_is_one_head(app) -> None:
    script = ScriptDirectory.from_config(_alembic_config(app))
    assert len(script.get_heads()) == 1


def test_upgrade_builds_the_models_and_downgrade_empties(scratch_database_url: str) -> None:
    app = create_app(
        {"ENV": "testing", "DATABASE_URL": scratch_database_url, "SECRET_KEY": "k" * 32}
    )
    config = _alembic_config(app)
    with app.app_context():
        command.upgrade(config, "head")
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"

        command.downgrade(config, "base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        command.upgrade(config, "head")  # and back up again from empty
        db.engine.dispose()
