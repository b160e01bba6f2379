"""Forms of the assessment pages that are not built from a questionnaire."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
)
from wtforms import BooleanField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from ..scoring.outcomes import Priority, Route


class OverrideForm(FlaskForm):
    route = RadioField(
        "Route",
        choices=[SelectChoice(r.value, r.label) for r in Route],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the route")],
    )
    priority = RadioField(
        "Priority",
        choices=[SelectChoice(p.value, p.label) for p in Priority],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the priority")],
    )
    reason = TextAreaField(
        "Why are you changing the decision?",
        widget=GovCharacterCount(),
        description="Your reason is kept with the decision and shown to every partner team",
        validators=[
            InputRequired(message="Enter the reason for changing the decision"),
            Length(max=2000, message="The reason must be 2000 characters or fewer"),
        ],
    )
    submit = SubmitField("Change the decision", widget=GovSubmitInput())


class SignOffForm(FlaskForm):
    """Signing off asks the assessor to confirm what the page summarises."""

    confirm = BooleanField(
        "I have checked the answers, the decision and the referrals above, and I am signing "
        "off this assessment",
        widget=GovCheckboxInput(),
        validators=[DataRequired(message="Confirm that you have checked what you are signing off")],
    )
