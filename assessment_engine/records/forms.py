"""Forms for finding and recording a person."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..forms.fields import GovDateField


class FindForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(
        "CHI number or name",
        widget=GovTextInput(),
        description="For example, 1904851231 or Jean MacDonald",
        validators=[Optional(), Length(max=100, message="Search must be 100 characters or fewer")],
    )


class ClientForm(FlaskForm):
    chi = StringField(
        "CHI number",
        widget=GovTextInput(),
        description="10 digits. The first 6 are the date of birth, for example 190485 1231",
        validators=[InputRequired(message="Enter the CHI number")],
    )
    given_name = StringField(
        "First name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the person's first name"),
            Length(max=100, message="First name must be 100 characters or fewer"),
        ],
    )
    family_name = StringField(
        "Last name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the person's last name"),
            Length(max=100, message="Last name must be 100 characters or fewer"),
        ],
    )
    date_of_birth = GovDateField(
        "Date of birth",
        description="For example, 19 4 1985",
        validators=[InputRequired(message="Enter the date of birth")],
    )
    nhs_number = StringField(
        "NHS number (optional)",
        widget=GovTextInput(),
        description="Only for people registered in England or Wales",
        validators=[Optional()],
    )
    postcode = StringField(
        "Postcode (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=10)]
    )
    address = TextAreaField(
        "Address (optional)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=500, message="Address must be 500 characters or fewer")],
    )
    gp_practice = StringField(
        "GP practice (optional)",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=200, message="GP practice must be 200 characters or fewer"),
        ],
    )
    communication_needs = TextAreaField(
        "Communication needs (optional)",
        widget=GovCharacterCount(),
        description="For example, British Sign Language interpreter, large print, hearing loop",
        validators=[
            Optional(),
            Length(max=4000, message="Communication needs must be 4000 characters or fewer"),
        ],
    )
    not_a_duplicate = BooleanField("None of these records is this person")
    checked_duplicates = HiddenField()
    submit = SubmitField("Save record", widget=GovSubmitInput())
