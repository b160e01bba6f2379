"""WTForms fields that behave as the GOV.UK Design System asks."""

from __future__ import annotations

from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import Field


class GovDateField(Field):
    """A date entered as day, month and year, with the Design System's error messages.

    ``label`` is used in messages ("Date of birth must include a month").
    """

    widget = GovDateInput()

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.raw_data: list[str] | None = None

    def _value(self) -> str:
        return self.data.strftime("%d %m %Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        parts = [v.strip() for v in [*valuelist, "", "", ""][:3]]
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        what = str(self.label.text)
        missing = [name for name, v in zip(("day", "month", "year"), parts, strict=True) if not v]
        if missing:
            raise ValueError(f"{what} must include a {' and a '.join(missing)}")
        if not all(p.isascii() and p.isdigit() for p in parts):
            raise ValueError(f"{what} must be a real date")
        day, month, year = (int(p) for p in parts)
        if len(parts[2]) != 4:
            raise ValueError("Year must include 4 numbers")
        try:
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(f"{what} must be a real date") from None
