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


def test_a_refusal_raised_inside_the_block_is_not_logged(
    connection: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An insert refused while later ones are sent raises its error at one of them; the
    pipeline is ended without psycopg logging the server's words (its detail names the key)."""
    connection.execute(text("INSERT INTO piped VALUES (1)"))
    nested = connection.begin_nested()

    def refused() -> None:
        with pipelined(connection):
            connection.execute(text("INSERT INTO piped VALUES (1)"))
            for n in range(2, 200):  # long enough for the refusal to come back meanwhile
                connection.execute(text("INSERT INTO piped VALUES (:n)"), {"n": n})
            connection.execute(text("SELECT 1").execution_options(**READ_LAST))

    with caplog.at_level("DEBUG"), pytest.raises(IntegrityError):
        refused()
    nested.rollback()
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]
    assert _all(connection) == [1]


def test_a_connection_lost_in_the_block_raises_the_lost_connection(db_session: Any) -> None:
    """Not PendingRollbackError from tidying up after it: the error says what happened."""
    from sqlalchemy.exc import OperationalError

    engine = db_session.get_bind().engine
    if engine.dialect.name != "postgresql":
        pytest.skip("pipelines are psycopg's; elsewhere statements run one at a time")
    with engine.connect() as connection:

        def lost() -> None:
            with pipelined(connection):
                connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
                connection.execute(text("SELECT 1").execution_options(**READ_LAST))

        with pytest.raises(OperationalError) as raised:
            lost()
        assert raised.value.connection_invalidated
