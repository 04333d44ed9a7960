"""Forms of the bug list: the filter form (GET, no CSRF) and saving a search."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from bugzot.search.params import PAGE_SIZES, SORT_KEYS, STATUS_ALIASES
from bugzot.workflow import PRIORITIES, RESOLUTIONS, SEVERITIES, STATUSES


def _choices(values) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class BugFilterForm(FlaskForm):
    """The filters of ``/bugs``; submitted by GET so the URL holds the whole query."""

    class Meta:
        csrf = False

    q = StringField("Words", validators=[Length(max=200)])
    product = SelectMultipleField("Product", choices=[])
    component = StringField("Component")
    version = StringField("Version")
    status = SelectMultipleField(
        "Status", choices=[(a, f"all {a}" if a != "all" else "any") for a in STATUS_ALIASES]
        + _choices(STATUSES))
    resolution = SelectMultipleField("Resolution", choices=_choices(RESOLUTIONS))
    severity = SelectMultipleField("Severity", choices=_choices(SEVERITIES))
    priority = SelectMultipleField("Priority", choices=_choices(PRIORITIES))
    assignee = StringField("Assignee (username or 'nobody')")
    reporter = StringField("Reporter (username)")
    cc = StringField("CC (username)")
    sort = SelectField("Sort by", choices=[("", "default")] + [
        (key, f"{key} ↑") for key in SORT_KEYS] + [(f"-{key}", f"{key} ↓") for key in SORT_KEYS]
        + [("relevance", "relevance")])
    limit = SelectField("Per page", choices=[(str(n), str(n)) for n in PAGE_SIZES], default="50")


class SaveSearchForm(FlaskForm):
    """Save the current list under a name (replacing a search of the same name)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    query = HiddenField()
    shared = BooleanField("Share with all users")


class DeleteSearchForm(FlaskForm):
    """Just the CSRF token for the delete button."""
