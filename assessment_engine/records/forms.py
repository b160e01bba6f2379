"""Forms for finding and recording a person."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from ..forms.fields import GovDateField


class OptionalDateField(GovDateField):
    """A date that may be left out entirely (the date input needs no raw data then)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not any((v or "").strip() for v in valuelist):
            self.raw_data = None
            self.data = None
            return
        super().process_formdata(valuelist)


class FindForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(
        "CHI number or name",
        widget=GovTextInput(),
        description="For example, 1904851231 or Jean MacDonald",
        validators=[Optional(), Length(max=100, message="Search must be 100 characters or fewer")],
    )
    date_of_birth = OptionalDateField(
        "Date of birth (optional)",
        description="Narrows a search by name, for example 14 3 1938",
        validators=[Optional()],
    )

    def validate_date_of_birth(self, field: OptionalDateField) -> None:
        if field.data is not None and field.data > date.today():
            raise ValidationError("Date of birth must be today or in the past")
        if not (self.q.data or "").strip():  # alone, it would list everyone born that day
            raise ValidationError("Enter a name or CHI number as well as the date of birth")


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
    #: Shown under the likely duplicates: a labelled choice to go on and record a new person.
    not_a_duplicate = BooleanField("None of these is this person", widget=GovCheckboxInput())
    checked_duplicates = HiddenField()
    submit = SubmitField("Save record", widget=GovSubmitInput())


class EditClientForm(ClientForm):
    """The same details, with the version the editor loaded (optimistic lock)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class SharingViewForm(FlaskForm):
    status = RadioField(
        "What is the person's view on sharing?",
        widget=GovRadioInput(),
        choices=[
            SelectChoice("agreed", "Agreed to sharing"),
            SelectChoice("declined", "Declined sharing"),
            SelectChoice("withdrawn", "Withdrew an earlier agreement"),
        ],
        validators=[
            InputRequired(message="Select whether the person agreed, declined or withdrew")
        ],
    )
    partners = SelectMultipleField(
        "Which partner organisations does this cover?",
        widget=GovCheckboxesInput(),
        description="Your own organisation holds the record you are updating, so it is not listed",
        choices=[],
        validate_choice=False,  # the service checks the ids, so a changed id gets a message
    )
    stated_on = GovDateField(
        "When did the person say this?",
        description="For example, 22 11 2026",
        validators=[InputRequired(message="Enter the date the person gave this view")],
    )
    notes = TextAreaField(
        "Notes (optional)",
        widget=GovCharacterCount(),
        description="In the person's own words where you can",
        validators=[Optional(), Length(max=2000, message="Notes must be 2000 characters or fewer")],
    )
    submit = SubmitField("Record this view", widget=GovSubmitInput())


class BreakGlassForm(FlaskForm):
    reason = TextAreaField(
        "Why do you need emergency access?",
        widget=GovCharacterCount(),
        description=(
            "Your reason, your name and the time are recorded and shown on the person's record"
        ),
        validators=[
            InputRequired(message="Say why you need emergency access"),
            Length(
                min=10,
                max=1000,
                message="The reason must be between 10 and 1000 characters",
            ),
        ],
    )
    submit = SubmitField("Get emergency access", widget=GovSubmitInput())
