"""Forms of the rules and test-case builders (the view fills their choices from the draft)."""

from __future__ import annotations

import math
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DecimalField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..questionnaires.rule_editing import OPERATORS, Band
from ..scoring.outcomes import Priority, Route, Urgency

#: How many bands a banded sum can have in the form (more is for the rules text).
BAND_ROWS = 6

UNANSWERED_CHOICES = [
    SelectChoice("require", "No total unless every question is answered"),
    SelectChoice("skip", "Leave unanswered questions out"),
    SelectChoice("zero", "Count unanswered questions as 0"),
    SelectChoice("prorate", "Make up unanswered questions in proportion"),
]
URGENCY_CHOICES = [SelectChoice(u.value, u.label) for u in Urgency]
PRIORITY_CHOICES = [SelectChoice(p.value, p.label) for p in Priority]
ROUTE_CHOICES = [SelectChoice(r.value, r.label) for r in Route]


class _Bands(FlaskForm):
    """Rows of bands: a name, the lowest and the highest total (both included)."""

    revision = HiddenField()

    def band_rows(self) -> list[tuple[Field, Field, Field]]:
        return [
            (self[f"band{i}_label"], self[f"band{i}_low"], self[f"band{i}_high"])
            for i in range(1, BAND_ROWS + 1)
        ]

    def bands(self) -> list[Band]:
        """The rows filled in; a row half filled in gets an error on its fields."""
        found = []
        for row, (label, low, high) in enumerate(self.band_rows(), start=1):
            if not (label.data or "").strip() and low.data is None and high.data is None:
                continue
            # Decimal reads "NaN", "Infinity" and "1e400" (infinite as a float): not totals
            missing = [f for f in (low, high) if f.data is None or not math.isfinite(float(f.data))]
            if not (label.data or "").strip():
                label.errors = [*label.errors, f"Give band {row} a name, or clear its row"]
            for f, end in ((low, "lowest"), (high, "highest")):
                if f in missing:
                    f.errors = [*f.errors, f"Enter the {end} total of band {row}, as a number"]
            if (label.data or "").strip() and not missing:
                found.append(Band(label.data.strip(), float(low.data), float(high.data)))
        return found

    def fill(self, bands: list[Band]) -> None:
        for (label, low, high), band in zip(self.band_rows(), bands, strict=False):
            label.data, low.data, high.data = band.label, band.low, band.high

    def has_errors(self) -> bool:
        return any(f.errors for row in self.band_rows() for f in row)


def _add_band_fields(cls: type[Any]) -> type[Any]:
    for i in range(1, BAND_ROWS + 1):
        setattr(
            cls,
            f"band{i}_label",
            StringField(f"Band {i}: name", widget=GovTextInput(), validators=[Length(max=60)]),
        )
        for end, words in (("low", "lowest total"), ("high", "highest total")):
            setattr(
                cls,
                f"band{i}_{end}",
                DecimalField(
                    f"Band {i}: {words}",
                    widget=GovTextInput(),
                    places=None,
                    validators=[Optional()],
                ),
            )
    return cls


@_add_band_fields
class BandedSumForm(_Bands):
    title = StringField(
        "Name of the total",
        widget=GovTextInput(),
        description="Like Mobility. Rules and test cases refer to it by this name.",
        validators=[InputRequired(message="Give the total a name"), Length(max=100)],
    )
    questions = SelectMultipleField(
        "Questions whose scores are added up",
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message="Choose the questions whose scores are added up")],
    )
    unanswered = RadioField(
        "When a question is not answered",
        choices=UNANSWERED_CHOICES,
        default="require",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose what an unanswered question does")],
    )
    submit = SubmitField("Add the total and its bands", widget=GovSubmitInput())


@_add_band_fields
class BandsForm(_Bands):
    submit = SubmitField("Save the bands", widget=GovSubmitInput())


class FlagSubjectForm(FlaskForm):
    """Step one of a flag: which question (or total) it tests."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    subject = SelectField(
        "Which answer or total does the flag test?",
        widget=GovSelect(),
        validators=[InputRequired(message="Choose a question or a total")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class FlagForm(FlaskForm):
    revision = HiddenField()
    subject = HiddenField()
    title = StringField(
        "Name of the flag",
        widget=GovTextInput(),
        description="Like Needs help with mobility. Referrals follow flags by this name.",
        validators=[InputRequired(message="Give the flag a name"), Length(max=100)],
    )
    operator = SelectField(
        "The answer",
        choices=[SelectChoice(key, words) for key, (words, _op) in OPERATORS.items()],
        widget=GovSelect(),
        validators=[InputRequired(message="Choose how the answer is compared")],
    )
    value = StringField("Value", widget=GovTextInput(), validators=[Length(max=200)])
    choice = RadioField("Value", widget=GovRadioInput(), validate_choice=False)
    submit = SubmitField("Add the flag", widget=GovSubmitInput())


class ReferralForm(FlaskForm):
    revision = HiddenField()
    service = SelectField(
        "Refer to",
        widget=GovSelect(),
        validators=[InputRequired(message="Choose a service")],
    )
    trigger = RadioField(
        "When",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose the flag or band the referral follows")],
    )
    urgency = RadioField(
        "Urgency",
        choices=URGENCY_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose how urgent the referral is")],
    )
    priority = RadioField(
        "Priority",
        choices=PRIORITY_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose the referral's priority")],
    )
    because = StringField(
        "Why (optional)",
        widget=GovTextInput(),
        description="Shown in the decision's explanation, like: mobility needs daily help",
        validators=[Length(max=300)],
    )
    submit = SubmitField("Add the referral", widget=GovSubmitInput())


class CaseForm(FlaskForm):
    answers = HiddenField()
    revision = HiddenField()
    step = HiddenField(default="save")
    name = StringField(
        "Name of the test case",
        widget=GovTextInput(),
        description="What it shows, like: high mobility needs are referred to home care",
        validators=[InputRequired(message="Give the test case a name"), Length(max=200)],
    )
    route = RadioField(
        "Expected route",
        choices=ROUTE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose the route this case expects")],
    )
    priority = RadioField(
        "Expected priority",
        choices=PRIORITY_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose the priority this case expects")],
    )
    services = SelectMultipleField(
        "Expected referrals (exactly these services)",
        widget=GovCheckboxesInput(),
        validate_choice=True,
    )
    flags = SelectMultipleField(
        "Expected flags (these must be set)", widget=GovCheckboxesInput(), validate_choice=True
    )
    #: the view puts the referrals' urgency and priority, in words, in its description
    referral_levels = BooleanField(
        "Also expect each referral's urgency and priority, as the rules decide them now",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Save the test case", widget=GovSubmitInput())


class RemoveForm(FlaskForm):
    """Removing a rule, a referral or a test case (the thing is named by the URL or ``name``)."""

    revision = HiddenField()
    name = HiddenField()
