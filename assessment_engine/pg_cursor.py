"""psycopg cursors whose ``description`` makes its column objects only when they are read.

psycopg builds ``cursor.description`` anew, one :class:`psycopg.Column` per column of the
result, every time it is asked; SQLAlchemy asks after every statement, and once a statement's
compiled form has its result metadata cached (from the second execution on) it only checks
that there is a description. A section page's statements return some eighty columns: eighty
objects made and dropped per page. Here ``description`` is a sequence of the same length that
makes the same columns, from the same result, when something reads one of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast, overload

import psycopg
from psycopg import pq

#: The statuses for which psycopg gives a description (see ``psycopg.Cursor.description``).
_WITH_ROWS = frozenset(
    {pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK}
)


class _Result:
    """What :class:`psycopg.Column` reads of its cursor, as it was when the result came."""

    __slots__ = ("_encoding", "adapters", "pgresult")

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self.pgresult = cursor.pgresult
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters


class Description(Sequence[psycopg.Column]):
    """``cursor.description`` of one result: its columns made on first read, then kept."""

    __slots__ = ("_columns", "_count", "_result")

    def __init__(self, cursor: psycopg.Cursor[Any], count: int) -> None:
        self._result = _Result(cursor)
        self._count = count
        self._columns: list[psycopg.Column] | None = None

    def _made(self) -> list[psycopg.Column]:
        if self._columns is None:
            owner = cast(Any, self._result)
            self._columns = [psycopg.Column(owner, index) for index in range(self._count)]
        return self._columns

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...

    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        return self._made()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._made())

    def __repr__(self) -> str:
        return repr(self._made())


class DescribedCursor(psycopg.Cursor[Any]):
    """A psycopg cursor whose ``description`` is a :class:`Description`."""

    @property
    def description(self) -> Description | None:  # type: ignore[override]
        result = self.pgresult
        # As psycopg decides: columns, or a result that said it has rows ("SELECT ;").
        if result and (result.nfields or result.status in _WITH_ROWS):
            return Description(self, result.nfields)
        return None


def use_described_cursors(engine: Any) -> None:
    """Every new connection of ``engine`` (PostgreSQL, psycopg) makes :class:`DescribedCursor`."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.cursor_factory = DescribedCursor
