"""Forms for logging in, registering, resetting passwords and preferences."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from bugzot.services.passwords import MAX_LENGTH

# The minimum length and the rest of the policy are the service's (configurable).
_password_len = Length(max=MAX_LENGTH, message=f"Use at most {MAX_LENGTH} characters.")


class LoginForm(FlaskForm):
    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField("Keep me logged in")
    next = HiddenField()


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=64)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254),
                                            Email(check_deliverability=False)])
    real_name = StringField("Real name", validators=[Length(max=128)])
    password = PasswordField("Password", validators=[DataRequired(), _password_len])
    confirm = PasswordField("Repeat password",
                            validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class LoginOnlyForm(FlaskForm):
    """Asks for a username or email (resend activation, request a reset)."""

    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), _password_len])
    confirm = PasswordField("Repeat password",
                            validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class ProfileForm(FlaskForm):
    real_name = StringField("Real name", validators=[Length(max=128)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), _password_len])
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("new_password", "The passwords differ.")])


class EmailChangeForm(FlaskForm):
    email = EmailField("New email", validators=[DataRequired(), Length(max=254),
                                                Email(check_deliverability=False)])
    password = PasswordField("Current password", validators=[DataRequired()])


class SessionEndForm(FlaskForm):
    """Just the CSRF token: log out one session, or all of them."""


class TimeZoneForm(FlaskForm):
    """The zone times are shown in; "" follows the browser. Choices: ``timefmt.zone_names``
    (set by the view); the service checks the name."""

    time_zone = SelectField("Time zone", validate_choice=False)
