"""A flush of new rows only, written as Core inserts (one per table) instead of by the unit of work.

A submission adds an assessment, its decision, its referrals and their outbox rows, and changes
nothing else: the unit of work's flush of them is mostly its bookkeeping (sorting the objects by
their dependencies, walking the cascades, reading every attribute's history), several times the
cost of the statements. :func:`flush_new` writes such a session's new objects as the flush
would (the same columns, defaults and foreign keys taken from the related objects, in the order
of the tables' dependencies, then of the objects' adding) and leaves them in the session as if
flushed (persistent, every column loaded, registered as the flush registers them). Anything it
does not know how to write the same way (a change or a deletion pending, a key the database
assigns, a server default, a mapper event on insert, a listener after flushes) is flushed as
usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Insert, Table, insert
from sqlalchemy.orm import Mapper, Session, scoped_session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.interfaces import MANYTOONE

from ..db import DbSession, pipelined


class _Column(NamedTuple):
    key: str  # the attribute
    name: str  # the table column's key
    default: Callable[[], Any] | None  # a Python default, or None
    none_is_json: bool  # a None value is written (JSON's null), not left out


class _ForeignKey(NamedTuple):
    relationship: str
    pairs: tuple[tuple[str, str], ...]  # (this object's attribute, the related object's)


class _Plan(NamedTuple):
    table: Table
    insert: Insert  # built once
    columns: tuple[_Column, ...]
    foreign_keys: tuple[_ForeignKey, ...]
    order: int  # the table's place in the metadata's dependency order


class _Unsupported(Exception):
    """A column or mapper this module cannot write as the unit of work would."""


def _default(column: Any) -> Callable[[], Any] | None:
    """The column's Python default as a function, or None for none; :class:`_Unsupported` if it
    is not one that can be computed here (a SQL expression, a sequence)."""
    found = column.default
    if found is None:
        return None
    if found.is_scalar:
        value = found.arg
        return lambda: value
    if found.is_callable:
        call = found.arg
        return lambda: call(None)  # zero-argument callables are wrapped to take the context
    raise _Unsupported(column.key)


@cache
def _plan(mapper: Mapper[Any]) -> _Plan | None:
    """How to write ``mapper``'s new objects, or None if this module cannot write them as the
    unit of work would."""
    table = mapper.local_table
    if (
        not isinstance(table, Table)
        or mapper.persist_selectable is not table
        or mapper.inherits is not None
        or mapper.dispatch.before_insert
        or mapper.dispatch.after_insert
        or (mapper.version_id_col is not None and mapper.version_id_generator is False)
    ):
        return None
    columns = []
    written = set()
    for prop in mapper.column_attrs:
        if len(prop.columns) != 1 or prop.columns[0].table is not table:
            return None
        column = prop.columns[0]
        if column.server_default is not None:
            return None
        try:
            default = _default(column)
        except _Unsupported:
            return None
        if column is mapper.version_id_col:
            generate = mapper.version_id_generator
            if not callable(generate):
                return None
            default = lambda generate=generate: generate(None)  # noqa: E731
        columns.append(
            _Column(prop.key, column.key, default, bool(column.type.should_evaluate_none))
        )
        written.add(column)
    if set(table.columns) != written:
        return None
    foreign_keys = []
    for relationship in mapper.relationships:
        if relationship.direction is not MANYTOONE:
            continue
        if relationship.secondary is not None:
            return None
        pairs = []
        for local, remote in relationship.local_remote_pairs or ():
            if local.table is not table:
                return None
            pairs.append(
                (
                    mapper.get_property_by_column(local).key,
                    relationship.mapper.get_property_by_column(remote).key,
                )
            )
        foreign_keys.append(_ForeignKey(relationship.key, tuple(pairs)))
    order = table.metadata.sorted_tables.index(table)
    return _Plan(table, insert(table), tuple(columns), tuple(foreign_keys), order)


def _row(plan: _Plan, state: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The row the unit of work would insert for ``state``, and the attributes to set to it
    (the foreign keys and defaults the flush would set), or None if it cannot be written here."""
    values = state.dict
    found: dict[str, Any] = {}
    for foreign_key in plan.foreign_keys:
        if foreign_key.relationship not in values:
            continue
        related = values[foreign_key.relationship]
        if related is None:
            return None  # a key cleared by its relationship: left to the unit of work
        for mine, theirs in foreign_key.pairs:
            value = getattr(related, theirs)
            if value is None:
                return None  # the related object's key is the database's to assign
            found[mine] = value
    row: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for column in plan.columns:
        given = column.key in found or column.key in values
        value = found[column.key] if column.key in found else values.get(column.key)
        if value is None and not (column.none_is_json and given):
            if column.default is not None:
                value = column.default()
            elif not given:
                attributes[column.key] = None  # left out of the insert: NULL, as the flush does
                continue
        attributes[column.key] = value
        row[column.name] = value
    return row, attributes


def _session(session: DbSession) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _planned(own: Session) -> list[tuple[_Plan, Any]] | None:
    """The session's new objects with how to write them, in the order they were added; None if
    the unit of work must flush (something changed or deleted, an object not writable here)."""
    if (
        own.deleted
        or own.dispatch.after_flush
        or own.dispatch.after_flush_postexec
        or any(own.is_modified(obj) for obj in own.dirty)
    ):
        return None
    planned = []
    for state in sorted(
        (instance_state(obj) for obj in own.new), key=lambda s: s.insert_order or 0
    ):
        plan = _plan(state.mapper)
        mapper_events = state.mapper.dispatch  # asked each time: a listener added later counts
        if (
            plan is None
            or state.key is not None
            or mapper_events.before_insert
            or mapper_events.after_insert
        ):
            return None
        planned.append((plan, state))
    return planned


def flush_new(session: DbSession) -> None:
    """Flush ``session``: when all it holds to write is new objects this module can write (see
    above), as one Core insert per table and set of columns; otherwise by the unit of work."""
    own = _session(session)
    # No autoflush while the rows are worked out: reading an expired related object's key would
    # otherwise flush the very objects about to be inserted here.
    with own.no_autoflush:
        if not own.new or own._flushing or _planned(own) is None:
            own.flush()
            return
        if own.dispatch.before_flush:
            own.dispatch.before_flush(own, None, None)  # as a flush would (the outbox's rows)
        planned = _planned(own)
        written = [_row(plan, state) for plan, state in planned or ()]
    if planned is None or any(
        found is None or any(found[0].get(c.name) is None for c in plan.table.primary_key)
        for (plan, _state), found in zip(planned, written, strict=True)
    ):
        own.flush()  # the listeners run again: the outbox's adds a referral's message once
        return
    # One insert per table and set of columns, in the tables' dependency order.
    by_statement: dict[tuple[int, str, tuple[str, ...]], tuple[Insert, list[dict[str, Any]]]] = {}
    for (plan, state), found in zip(planned, written, strict=True):
        assert found is not None
        row, attributes = found
        state.dict.update(attributes)
        key = (plan.order, plan.table.name, tuple(row))
        by_statement.setdefault(key, (plan.insert, []))[1].append(row)
    connection = own.connection()
    try:
        with pipelined(connection):  # nothing is read back: one round trip for every table
            for key in sorted(by_statement):
                connection.execute(*by_statement[key])
    except BaseException:
        # As a failed flush leaves it: nothing of this flush kept (the rows inserted before the
        # failing one go with the rollback, the pending objects are expunged).
        own.rollback()
        raise
    register_inserted(own, [state.obj() for _plan_, state in planned])


def register_inserted(session: DbSession, objects: Iterable[object]) -> None:
    """Pending objects whose rows were just inserted as Core, with every column as their
    attributes hold it: persistent as the unit of work leaves objects at the end of a flush
    (keys, identity map, history reset, and noted as new in the transaction, so that a
    rollback expunges them as it would flushed ones). SQLAlchemy's own step of a flush
    (``Session._register_persistent``); tests/kernel/test_new_rows.py fails if it changes."""
    _session(session)._register_persistent({instance_state(obj) for obj in objects})
