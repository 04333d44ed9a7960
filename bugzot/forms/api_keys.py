"""Forms of the API keys page: create a named key, revoke one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from bugzot.services.api_keys import NAME_MAX


class NewKeyForm(FlaskForm):
    name = StringField("Name (what will use it?)",
                       validators=[DataRequired("Give the key a name."), Length(max=NAME_MAX)])


class RevokeKeyForm(FlaskForm):
    key_id = HiddenField(validators=[DataRequired()])
