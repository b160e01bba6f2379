"""pg_cursor.DescribedCursor: the same description as psycopg's, its columns made when read."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from assessment_engine.extensions import db
from assessment_engine.pg_cursor import DescribedCursor, Description

QUERY = "SELECT 1 AS a, 'x'::text AS b, now() AS c, NULL::numeric(5, 2) AS d"


def _columns(description: Any) -> list[tuple[Any, ...]]:
    return [tuple(column) for column in description]


@pytest.fixture
def raw(app: Flask) -> Any:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("psycopg cursors: PostgreSQL only")
        connection = db.engine.raw_connection()
        try:
            yield connection.dbapi_connection
        finally:
            connection.close()


def test_the_application_s_connections_make_described_cursors(raw: Any) -> None:
    assert raw.cursor_factory is DescribedCursor
    assert isinstance(raw.cursor().execute(QUERY).description, Description)


def test_a_description_says_what_psycopg_says(raw: Any) -> None:
    import psycopg

    ours = raw.cursor()
    theirs = psycopg.Cursor(raw)
    for query in (QUERY, "SELECT", "SET search_path TO public"):
        mine, psycopgs = ours.execute(query).description, theirs.execute(query).description
        if psycopgs is None:
            assert mine is None
            continue
        assert mine is not None
        assert len(mine) == len(psycopgs) and bool(mine) == bool(psycopgs)
        assert _columns(mine) == _columns(psycopgs)
        assert [c.name for c in mine[-2:]] == [c.name for c in psycopgs[-2:]]


def test_a_description_read_after_the_next_statement_is_still_its_own(raw: Any) -> None:
    cursor = raw.cursor()
    first = cursor.execute("SELECT 1 AS one").description
    cursor.execute("SELECT 2 AS two, 3 AS three")
    assert first is not None and [c.name for c in first] == ["one"]
