"""The support and review forms (GOV.UK Frontend widgets); the rules are in ``services``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from ..forms.fields import GovDateField
from .models import AgreedBy, EndReason, ReviewOutcome, SdsOption


class SupportForm(FlaskForm):
    """What the receiving team arranged; checked by ``services.record_support``."""

    version = HiddenField()
    start_date = GovDateField(
        "Start date",
        description="For example, 27 3 2027. Not before the assessment.",
        validators=[InputRequired(message="Enter the date support started, like 27 3 2027")],
    )
    summary = TextAreaField(
        "What is the support?",
        widget=GovCharacterCount(),
        description="In words: for example, home care twice a day for personal care",
    )
    hours_per_week = StringField(
        "Hours a week (optional)", widget=GovTextInput(), description="For example, 10.5"
    )
    sds_option = RadioField(
        "Self-directed Support option (optional)",
        widget=GovRadioInput(),
        choices=[SelectChoice(o.value, o.label) for o in SdsOption],
        validate_choice=False,  # the service checks it, with a message on the field
    )
    weekly_cost = StringField(
        "Weekly cost in pounds (optional)", widget=GovTextInput(), description="For example, 245.50"
    )
    submit = SubmitField("Record the support", widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    """A review's outcome; checked by ``services.record_outcome``."""

    version = HiddenField()
    outcome = RadioField(
        "What is the outcome of the review?",
        widget=GovRadioInput(),
        choices=[SelectChoice(o.value, o.label) for o in ReviewOutcome],
        validate_choice=False,
    )
    reason = TextAreaField("Why?", widget=GovCharacterCount())
    end_reason = RadioField(
        "If the support ends, why?",
        widget=GovRadioInput(),
        choices=[SelectChoice(r.value, r.label) for r in EndReason],
        validate_choice=False,
    )
    hours_per_week = StringField(
        "New hours a week, if they change (optional)", widget=GovTextInput()
    )
    weekly_cost = StringField(
        "New weekly cost in pounds, if it changes (optional)", widget=GovTextInput()
    )
    person_agreed = BooleanField(
        "The person agrees with this outcome (or their welfare attorney or guardian does)",
        widget=GovCheckboxInput(),
    )
    agreed_by = RadioField(
        "Who agreed?",
        widget=GovRadioInput(),
        choices=[SelectChoice(a.value, a.label) for a in AgreedBy],
        validate_choice=False,
    )
    carer_agreed = BooleanField("The unpaid carer agrees", widget=GovCheckboxInput())
    submit = SubmitField("Record the outcome", widget=GovSubmitInput())


def _days(label: str, hint: str) -> IntegerField:
    return IntegerField(
        label,
        widget=GovTextInput(),
        description=hint,
        validators=[
            InputRequired(message=f"Enter {label.lower()} as a number of days"),
            NumberRange(1, 3650, message=f"{label} must be a number of days from 1 to 3650"),
        ],
    )


class ReviewPolicyForm(FlaskForm):
    """When reviews fall due, for the administrator's organisation."""

    first_review_days = _days("Days to the first review", "After support starts; for example, 42")
    critical_first_review_days = _days(
        "Days to the first review at critical priority", "For example, 28"
    )
    review_interval_days = _days("Days between reviews", "For example, 365")
    submit = SubmitField("Save the review policy", widget=GovSubmitInput())
