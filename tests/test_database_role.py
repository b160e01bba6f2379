"""The README's grants give the application a role that can work but cannot switch off the
database's guards: it owns no table, so it can neither disable a trigger nor use
``session_replication_role``, and it may not delete or change audit events (PostgreSQL only)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

ROOT = Path(__file__).resolve().parent.parent


def _readme_grants() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### The application's database role owns nothing", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_application_role_cannot_switch_off_the_guards(
    scratch_app: Any, scratch_database_url: str
) -> None:
    url = make_url(scratch_database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    scratch_app(seed=False)  # the schema, built by the migrations as the owner
    role = f"app_{uuid.uuid4().hex[:10]}"
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with owner.connect() as conn:
            for line in _readme_grants():
                statement = (
                    line.replace("assessment_app", role)
                    .replace("DATABASE assessment", f'DATABASE "{url.database}"')
                    .replace("'from your secret store'", "'app-role-password'")
                )
                conn.execute(text(statement))
        app = create_engine(url.set(username=role, password="app-role-password"))
        with app.connect() as conn:
            # It works: reads and writes.
            conn.execute(text("SELECT count(*) FROM audit_events"))
            conn.execute(
                text(
                    "INSERT INTO audit_events (occurred_at, actor, action, record_type,"
                    " record_id, address, detail, prev_hash, hash)"
                    " VALUES (now(), 'cli', 'x', 'x', '1', '', '{}', :p, :h)"
                ),
                {"p": "0" * 64, "h": "1" * 64},
            )
            conn.commit()
            for statement in (
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
                "ALTER TABLE assessments DISABLE TRIGGER ALL",
                "SET session_replication_role = replica",
                "DELETE FROM audit_events",
                "UPDATE audit_events SET address = 'x'",
                "TRUNCATE audit_checkpoints",
                "DROP TRIGGER referrals_frozen ON referrals",
            ):
                with pytest.raises(DBAPIError):
                    conn.execute(text(statement))
                conn.rollback()
        app.dispose()
    finally:
        with owner.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        owner.dispose()
