"""CSV cells a spreadsheet would run as formulas are escaped; data stays data."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from assessment_engine.reports.csv import csv_text, escape_cell


@pytest.mark.parametrize("text", ["=1+1", "+44 1738", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_begins_a_formula_gets_a_leading_quote(text: str) -> None:
    assert escape_cell(text) == "'" + text


def test_ordinary_values_are_written_as_they_are() -> None:
    assert escape_cell("Perth") == "Perth"
    assert escape_cell(-3) == -3
    assert escape_cell(2.5) == 2.5
    assert escape_cell(None) == ""
    assert escape_cell(date(2026, 12, 1)) == "2026-12-01"


def test_the_table_reads_back_with_every_cell_escaped() -> None:
    text = csv_text(["name", "count"], [['=HYPERLINK("x")', 4], ["a, b", -1]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "count"], ['\'=HYPERLINK("x")', "4"], ["a, b", "-1"]]
    assert text.endswith("\r\n")
