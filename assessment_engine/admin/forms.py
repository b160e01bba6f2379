"""Forms of the administration pages (the questionnaire editor's texts are read by its view)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..api.tokens import DEFAULT_SCOPES, SCOPES
from ..auth.models import Role
from ..partners.models import OrganisationKind

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]
KIND_CHOICES = [SelectChoice(kind.value, kind.label) for kind in OrganisationKind]


class OrganisationForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the organisation's name"), Length(max=200)],
    )
    slug = StringField(
        "Short name",
        widget=GovTextInput(),
        description="Lower-case letters, digits and hyphens, like nhs-tayside. It cannot change.",
        validators=[InputRequired(message="Enter a short name"), Length(max=64)],
    )
    kind = RadioField(
        "Kind",
        choices=KIND_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the kind of organisation")],
    )
    contact = StringField("Contact", widget=GovTextInput(), validators=[Length(max=300)])
    submit = SubmitField("Save organisation", widget=GovSubmitInput())


class OrganisationEditForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the organisation's name"), Length(max=200)],
    )
    contact = StringField("Contact", widget=GovTextInput(), validators=[Length(max=300)])
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class UserForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the person's name"), Length(max=200)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter an email address"), Length(max=254)],
    )
    job_title = StringField("Job title", widget=GovTextInput(), validators=[Length(max=200)])
    organisation = SelectField("Organisation", widget=GovSelect(), coerce=int)
    role = RadioField(
        "Role",
        choices=ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a role")],
    )
    password = PasswordField(
        "First password",
        widget=GovPasswordInput(),
        description="12 characters or more. Give it to the person in a safe way.",
        validators=[InputRequired(message="Enter a password")],
    )
    submit = SubmitField("Create user", widget=GovSubmitInput())


class RoleForm(FlaskForm):
    role = RadioField(
        "Role",
        choices=ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a role")],
    )
    submit = SubmitField("Change role", widget=GovSubmitInput())


TEAM_EMAIL_HINT = (
    "Where the team is told at once of a same-day or urgent referral, and sent a daily count of "
    "what waits. Messages name no one: use an address that does not say what the team treats."
)


class ServiceForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the service's name"), Length(max=200)],
    )
    slug = StringField(
        "Short name",
        widget=GovTextInput(),
        description="Rules refer to the service by this, like district-nursing. It cannot change.",
        validators=[InputRequired(message="Enter a short name"), Length(max=64)],
    )
    organisation = SelectField("Run by", widget=GovSelect(), coerce=int)
    kind = RadioField(
        "Route",
        choices=KIND_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the route the service belongs to")],
    )
    team_email = StringField(
        "Team email address (optional)",
        widget=GovTextInput(),
        description=TEAM_EMAIL_HINT,
        validators=[Length(max=254)],
    )
    submit = SubmitField("Create service", widget=GovSubmitInput())


class ServiceTeamForm(FlaskForm):
    team_email = StringField(
        "Team email address",
        widget=GovTextInput(),
        description=TEAM_EMAIL_HINT + " Leave it empty to send nothing.",
        validators=[Length(max=254)],
    )
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class ApiClientForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        description="The partner system, like Tayside GP system",
        validators=[InputRequired(message="Enter the API client's name"), Length(max=200)],
    )
    organisation = SelectField("Acts for", widget=GovSelect(), coerce=int)
    scopes = SelectMultipleField(
        "Scopes",
        choices=[SelectChoice(scope, scope) for scope in SCOPES],
        # Read scopes only: a write scope is always asked for (api.md, "Additions").
        default=[scope for scope in DEFAULT_SCOPES if scope.endswith(":read")],
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message="Select at least one scope")],
    )
    submit = SubmitField("Create API client", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    bundle = FileField(
        "A bundle file",
        widget=GovFileInput(),
        description='One JSON file: {"document": ..., "rules": ..., "test_cases": ...}',
    )
    document = FileField("Or the questionnaire document (vN.json)", widget=GovFileInput())
    rules = FileField("and its rules (vN.rules.json)", widget=GovFileInput())
    test_cases = FileField("and its test cases (vN.cases.json)", widget=GovFileInput())
    submit = SubmitField("Import as a draft", widget=GovSubmitInput())
