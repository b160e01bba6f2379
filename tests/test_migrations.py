"""The migrations: one head, they build the models' schema exactly, and they go back down."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from assessment_engine import create_app
from assessment_engine.extensions import db, migrate


@pytest.fixture()
def scratch_url(tmp_path: Path):
    """An empty database of the kind under test, separate from the suite's own."""
    url = os.environ.get("ASSESSMENT_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{base.database}_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _alembic_config(app):
    with app.app_context():
        return migrate.get_config()


def test_there_is_one_head(app) -> None:
    script = ScriptDirectory.from_config(_alembic_config(app))
    assert len(script.get_heads()) == 1


def test_upgrade_builds_the_models_and_downgrade_empties(scratch_url: str) -> None:
    app = create_app({"ENV": "testing", "DATABASE_URL": scratch_url, "SECRET_KEY": "k" * 32})
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
