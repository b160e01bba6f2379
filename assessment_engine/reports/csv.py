"""CSV for people's spreadsheets: cells that would run as a formula are escaped.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is opened by Excel, LibreOffice and Google
Sheets as a formula, which can run commands or send the sheet's data elsewhere (OWASP "CSV
Injection"). Such a cell is written with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from flask import Response

#: What a cell may not begin with, unescaped.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> str:
    """``value`` as a CSV cell's text: None is empty; a formula's start gets an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """A header of ``columns``, then one line a row, every cell escaped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_cell(column) for column in columns])
    for row in rows:
        writer.writerow([escape_cell(row.get(column)) for column in columns])
    return out.getvalue()


def csv_response(
    columns: Sequence[str], rows: Iterable[Mapping[str, object]], filename: str
) -> Response:
    """A CSV download named ``filename`` (characters a file name may hold only), not cached."""
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "report.csv"
    response = Response(csv_text(columns, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["Cache-Control"] = "no-store"
    return response
