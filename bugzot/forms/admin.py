"""Forms of the admin pages: catalogue, users and roles.

Field names match the keyword arguments of the services, so a ``ServiceError``
naming a field lands on that field (``bugzot.forms.apply_error``). Choices that
come from the database are filled in by the view.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from bugzot import permissions
from bugzot.forms.fields import UserField
from bugzot.security.inputs import bounded_int
from bugzot.services.catalogue import DESCRIPTION_MAX, NAME_MAX, SORTKEY_RANGE
from bugzot.services.passwords import MAX_LENGTH

_name = [DataRequired("This field is required."), Length(max=NAME_MAX)]
_description = [Optional(), Length(max=DESCRIPTION_MAX)]
_sortkey = [Optional(), NumberRange(*SORTKEY_RANGE)]
_username = [Optional(), Length(max=64)]


class ConfirmForm(FlaskForm):
    """A button-only POST (e.g. delete); carries just the CSRF token."""


class ClassificationForm(FlaskForm):
    name = StringField("Name", validators=_name)
    description = TextAreaField("Description", validators=_description)
    sortkey = IntegerField("Sort key", default=0, validators=_sortkey)
    is_active = BooleanField("Active", default=True)


class ProductForm(FlaskForm):
    name = StringField("Name", validators=_name)
    description = TextAreaField("Description", validators=_description)
    classification_id = SelectField("Classification", coerce=bounded_int,
                                    validators=[InputRequired("Choose a classification.")])
    is_active = BooleanField("Active (bugs can be filed)", default=True)
    allows_unconfirmed = BooleanField("New bugs may start as UNCONFIRMED")


class ComponentForm(FlaskForm):
    name = StringField("Name", validators=_name)
    description = TextAreaField("Description", validators=_description)
    default_assignee = UserField("Default assignee (username)", validators=_username)
    default_qa_contact = UserField("Default QA contact (username)", validators=_username)
    is_active = BooleanField("Active", default=True)


class VersionForm(FlaskForm):
    value = StringField("Version", validators=_name)
    is_active = BooleanField("Active", default=True)


class MilestoneForm(FlaskForm):
    value = StringField("Milestone", validators=_name)
    sortkey = IntegerField("Sort key", default=0, validators=_sortkey)
    is_active = BooleanField("Active", default=True)


class UserEditForm(FlaskForm):
    real_name = StringField("Real name", validators=[Length(max=128)])
    role_id = SelectField("Role", coerce=bounded_int, validators=[InputRequired("Choose a role.")])
    is_active = BooleanField("Active (may log in)")


class UserCreateForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=64)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254),
                                            Email(check_deliverability=False)])
    real_name = StringField("Real name", validators=[Length(max=128)])
    password = PasswordField("Initial password",
                             validators=[DataRequired(), Length(max=MAX_LENGTH)])
    role_id = SelectField("Role", coerce=bounded_int, validators=[InputRequired("Choose a role.")])
    is_active = BooleanField("Active (may log in at once)", default=True)


class RoleForm(FlaskForm):
    name = StringField("Name", validators=_name)
    description = TextAreaField("Description", validators=_description)
    permissions = SelectMultipleField(
        "Permissions",
        choices=[SelectChoice(name, f"{name}: {text}")
                 for name, text in permissions.DESCRIPTIONS.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )


class UserFilterForm(FlaskForm):
    """The search box above the user list (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=254)])
    role_id = SelectField("Role", coerce=bounded_int, default=0)
    status = SelectField("Status", default="all",
                         choices=[SelectChoice("all", "Any status"), SelectChoice("active", "Active"),
                                  SelectChoice("disabled", "Disabled")])
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(1, 100000)])
