"""The declarative base, its constraint naming convention and column types used by every model."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, datetime
from typing import Any, TypeAlias
from weakref import WeakSet

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import JSON, Connection, DateTime, MetaData, TypeDecorator, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, registry, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: What a service takes as its session: a plain ``Session`` (the CLI, jobs, tests) or
#: Flask-SQLAlchemy's request-scoped proxy ``db.session`` that views pass, which forwards every
#: ``Session`` method (``scoped_session`` is invariant, hence its own Session class here).
DbSession: TypeAlias = Session | scoped_session[FlaskSession]

#: JSON that is JSONB on PostgreSQL and JSON (text) on SQLite: for data that is queried.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
#: JSON kept exactly as written (``json`` on PostgreSQL, text on SQLite): for documents whose key
#: order means something, like a questionnaire's sections and questions. JSONB reorders keys.
JSONDocument = JSON()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class KeyedAtCreation:
    """A model whose UUID key is set when the object is built, not at the next flush, so a
    service can name it (in audit events, in the rows that refer to it) without a round trip
    to the database first. Put it before ``Base`` in the model's bases."""

    id: Any

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("id") is None:
            kwargs["id"] = new_id()
        super().__init__(**kwargs)


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7 layout) so new rows land at the end of primary-key indexes."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)  # 62 bits
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def enum_type(enum_cls: type[Any], name: str) -> Any:
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing the member values."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def adapt_column_types(metadata: MetaData, dialect: Dialect) -> int:
    """Work out every column type's form for ``dialect`` now (SQLAlchemy does it on a type's
    first use in each process and keeps it on the dialect): at start-up, before forking, so no
    request pays for it. How many columns."""
    columns = [column for table in metadata.tables.values() for column in table.columns]
    for column in columns:
        column.type.dialect_impl(dialect)
    return len(columns)


#: Execution option of a statement whose rows are read inside :func:`pipelined`: it is sent
#: last and ends the pipeline (everything queued is answered, its rows with the rest); the
#: statements after it in the block run as usual. ``statement.execution_options(**READ_LAST)``.
READ_LAST = {"read_last_in_pipeline": True}
#: ``Connection.info`` key of what ends the pipeline a :func:`pipelined` block has open.
_PIPELINE = "db.pipelined"
#: The engines whose marked reads :func:`_execute_and_read` executes.
_READING: WeakSet[Engine] = WeakSet()


@contextmanager
def pipelined(connection: Connection) -> Iterator[None]:
    """Statements executed in the block are sent without waiting for each one's answer and
    answered together, at the block's end or at a statement marked :data:`READ_LAST`, whose
    rows are wanted: one round trip for all of them instead of one each (psycopg's pipeline
    mode, on PostgreSQL). The server still runs them one after the other, in order, each under
    its own snapshot as alone (a read after a lock sees what was committed before the lock was
    granted). Unmarked, only statements whose results are not looked at belong in the block
    (inserts; not an update whose row count is checked: it would read as none). Elsewhere
    (SQLite), or without pipeline support, each runs as usual.

    A statement's error is raised where the answers are read, as SQLAlchemy's exception (as it
    would have been at the statement), or at a later statement of the block that psycopg sends
    after learning of it; the statements after it in the pipeline did not run."""
    driver: Any = connection.connection.driver_connection
    dbapi = connection.dialect.loaded_dbapi
    if (
        connection.dialect.driver != "psycopg"
        or not dbapi.Pipeline.is_supported()
        or _PIPELINE in connection.info  # already in one: its statements join it
    ):
        yield
        return
    use_pipelines(connection.engine)
    info = connection.info  # taken now: an invalidated connection refuses to give it later
    with ExitStack() as pipeline:
        pipeline.enter_context(driver.pipeline())
        info[_PIPELINE] = pipeline
        try:
            yield
        except BaseException:
            info.pop(_PIPELINE, None)
            # Ended here, with no error in flight: psycopg would otherwise log the error of a
            # statement still queued (the server's words, its detail line included). The
            # block's own error is the one raised.
            with suppress(dbapi.Error):
                pipeline.close()
            raise
        info.pop(_PIPELINE, None)
        try:
            pipeline.close()  # the answers (nothing left if a marked read ended it)
        except dbapi.Error as error:
            # Raised outside any of SQLAlchemy's executes: wrapped as theirs would have been
            # (an IntegrityError stays one; a lost connection is invalidated).
            connection._handle_dbapi_exception(error, "", None, None, None)
            raise


def use_pipelines(engine: Engine) -> None:
    """Have ``engine`` execute :data:`READ_LAST` statements as :func:`pipelined` needs (once
    per engine: the application does it as it configures the engine, before any request)."""
    if engine not in _READING:
        event.listen(engine, "do_execute", _execute_and_read)
        _READING.add(engine)


def _execute_and_read(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """A statement marked :data:`READ_LAST` in a :func:`pipelined` block: sent, and the pipeline
    ended, so that its cursor holds its rows when SQLAlchemy reads them, next (an error of a
    statement before it is raised here, as this statement's)."""
    if not context.execution_options.get("read_last_in_pipeline"):
        return False
    pipeline = context.root_connection.info.pop(_PIPELINE, None)
    if pipeline is None:
        return False  # not in a pipeline: executed as usual
    cursor.execute(statement, parameters)
    pipeline.close()
    return True
