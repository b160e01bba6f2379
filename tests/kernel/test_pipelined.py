"""db.pipelined: statements sent together (psycopg's pipeline mode on PostgreSQL, as usual
elsewhere) give the same rows and errors as one at a time."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assessment_engine.db import READ_LAST, pipelined


@pytest.fixture
def connection(db_session: Any) -> Any:
    connection = db_session.connection()
    connection.execute(text("CREATE TEMPORARY TABLE piped (n INTEGER PRIMARY KEY)"))
    return connection


def _all(connection: Any) -> list[int]:
    return list(connection.execute(text("SELECT n FROM piped ORDER BY n")).scalars())


def test_a_marked_read_sees_the_statements_before_it_and_those_after_it_run(
    connection: Any,
) -> None:
    read = text("SELECT count(*) FROM piped").execution_options(**READ_LAST)
    with pipelined(connection):
        connection.execute(text("INSERT INTO piped VALUES (1)"))
        connection.execute(text("INSERT INTO piped VALUES (2)"))
        assert connection.execute(read).scalar() == 2
        connection.execute(text("INSERT INTO piped VALUES (3)"))
        assert connection.execute(text("SELECT max(n) FROM piped")).scalar() == 3
    assert _all(connection) == [1, 2, 3]


def test_a_block_inside_another_joins_it(connection: Any) -> None:
    with pipelined(connection):
        connection.execute(text("INSERT INTO piped VALUES (1)"))
        with pipelined(connection):
            connection.execute(text("INSERT INTO piped VALUES (2)"))
        connection.execute(text("INSERT INTO piped VALUES (3)"))
    assert _all(connection) == [1, 2, 3]


@pytest.mark.parametrize("read", [False, True])
def test_a_refused_statement_is_an_integrity_error(connection: Any, read: bool) -> None:
    def again() -> None:
        with pipelined(connection):
            connection.execute(text("INSERT INTO piped VALUES (1)"))
            if read:  # the refusal comes with the marked read's answer
                connection.execute(text("SELECT 1").execution_options(**READ_LAST))

    connection.execute(text("INSERT INTO piped VALUES (1)"))
    nested = connection.begin_nested()
    with pytest.raises(IntegrityError):
        again()
    nested.rollback()
    assert _all(connection) == [1]
