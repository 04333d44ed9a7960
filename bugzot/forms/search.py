"""Forms of the bug list pages: saving and deleting searches.

The filter form of /bugs is plain HTML (a GET form: ``search.params`` validates it).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length


class SaveSearchForm(FlaskForm):
    """Save the current list under a name (replacing a search of the same name)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    query = HiddenField()
    shared = BooleanField("Share with all users")


class DeleteSearchForm(FlaskForm):
    """Just the CSRF token for the delete button."""
