"""Answers in words, for check-answers pages and printed copies (used by the question types)."""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup, escape


def number_words(value: Any, suffix: str | None) -> str:
    """``5.0`` -> ``"5"``; with its suffix (``"5 hours"``) when the question has one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value} {suffix}" if suffix else str(value)


def uk_date(value: Any) -> str:
    """``"1985-04-19"`` -> ``"19 April 1985"`` (anything else as it is)."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    return f"{day.day} {day:%B %Y}" if day is not None else str(value)


def lines(parts: list[str]) -> Markup:
    """Lines of plain text as HTML: each escaped, then joined with line breaks."""
    return Markup("<br>").join(escape(line) for line in parts)
