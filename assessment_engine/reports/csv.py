"""CSV of the reports' tables, safe to open in a spreadsheet.

A cell a person wrote that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some spreadsheets skip before reading a formula) would be run as a formula by
Excel, LibreOffice or Google Sheets ("CSV injection"). :func:`escape_cell` puts a single quote
before such text, as OWASP advises; numbers are written as they are (a negative number is data,
not a formula). Every report's CSV goes through :func:`csv_text`, and every CSV download
through :func:`csv_response`. The rules are those of every report, the person-level return's
included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from flask import Response

#: The first characters a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | date | datetime | None


def escape_cell(value: Cell) -> str | int | float:
    """``value`` as a CSV cell: text that a spreadsheet would take for a formula gets a leading
    ``'``; numbers stay numbers; dates are ISO 8601; ``None`` is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The table as CSV (RFC 4180: CRLF line ends, fields quoted where needed), every cell,
    the header's included, escaped by :func:`escape_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_cell(name) for name in header])
    for row in rows:
        writer.writerow([escape_cell(cell) for cell in row])
    return out.getvalue()


def rows_text(columns: Sequence[str], rows: Iterable[Mapping[str, Cell]]) -> str:
    """:func:`csv_text` of rows given as mappings: a header of ``columns``, then each row's
    values in that order (the quarterly return's rows)."""
    return csv_text(columns, ([row.get(column) for column in columns] for row in rows))


def csv_response(filename: str, text: str) -> Response:
    """A CSV download named ``filename`` (plain ASCII, chosen by the caller, never by a user)."""
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
