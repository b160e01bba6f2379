"""The return's form (a GOV.UK select); the quarter is checked by ``quarterly.Quarter.parse``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField

from .quarterly import Quarter


class ReturnForm(FlaskForm):
    quarter = SelectField(
        "Quarter",
        widget=GovSelect(),
        # The service refuses a quarter that is not one, with its own message on this field.
        validate_choice=False,
    )
    submit = SubmitField("Download the return (CSV)", widget=GovSubmitInput())

    def offer(self, quarters: list[Quarter]) -> None:
        """The quarters to choose from, newest first: "2026-Q3 (July to September 2026)"."""
        self.quarter.choices = [(q.label, f"{q.label} ({q.words})") for q in quarters]
