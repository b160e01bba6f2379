"""Sign-in, second-factor and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter your password"),
            Length(max=200, message="Password must be 200 characters or fewer"),
        ],
    )
    next = HiddenField()
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        description="The 6-digit code your authenticator app shows, or one of your recovery codes",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the code from your authenticator app"),
            Length(max=40, message="Enter the 6-digit code or a recovery code"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnrolForm(FlaskForm):
    """Setting up an authenticator app: the first code it shows proves it was set up."""

    code = StringField(
        "Code from your authenticator app",
        description="After adding the key, enter the 6-digit code the app shows",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the 6-digit code from your authenticator app"),
            Length(max=12, message="Enter the 6-digit code from your authenticator app"),
        ],
    )
    submit = SubmitField("Set up", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter your current password"),
            Length(max=200, message="Password must be 200 characters or fewer"),
        ],
    )
    new_password = PasswordField(
        "New password",
        description="12 characters or more. A few unrelated words make a strong password.",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter a new password"),
            Length(max=200, message="Password must be 200 characters or fewer"),
        ],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter the new password again"),
            EqualTo("new_password", message="The two new passwords are not the same"),
        ],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())
