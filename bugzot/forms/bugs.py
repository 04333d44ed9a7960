"""Forms of the bug pages. Field names follow Bugzilla's (scripts rely on them).

Selects do not validate their choices here: the services look every value up and
answer unknown ones with a message on the right field, so a bad value never
loses what the user typed.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from bugzot import workflow
from bugzot.services.bugs import MAX_COMMENT
from bugzot.services.bugs.fields import EDITABLE_FIELDS


def _pairs(values) -> list[str]:
    return list(values)


class FileBugForm(FlaskForm):
    """``/bugs/new``; component and version choices are filled per product by the view."""

    product = HiddenField("Product", validators=[DataRequired("Choose a product.")])
    component = SelectField("Component", validate_choice=False)
    version = SelectField("Version", validate_choice=False)
    severity = SelectField("Severity", choices=_pairs(workflow.SEVERITIES),
                           default=workflow.DEFAULT_SEVERITY, validate_choice=False)
    priority = SelectField("Priority", choices=_pairs(workflow.PRIORITIES),
                           default=workflow.DEFAULT_PRIORITY, validate_choice=False)
    platform = SelectField("Platform", choices=_pairs(workflow.PLATFORMS), validate_choice=False)
    op_sys = SelectField("OS", choices=_pairs(workflow.OP_SYSES), validate_choice=False)
    summary = StringField("Summary", validators=[
        DataRequired("Please enter a summary."),
        Length(max=255, message="The summary is at most 255 characters.")])
    description = TextAreaField("Description", validators=[Length(max=MAX_COMMENT)])
    cc = StringField("CC", validators=[Optional(), Length(max=1000)])
    file = FileField("Attachment (optional)")
    attachment_description = StringField("Attachment description",
                                         validators=[Optional(), Length(max=255)])


class BugEditForm(FlaskForm):
    """The bug page: fields, status, CC and a new comment, saved as one transaction.

    Fields the user may not change are not rendered, so they are not posted;
    ``posted_values`` returns only what was.
    """

    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    product = SelectField("Product", validate_choice=False)
    component = SelectField("Component", validate_choice=False)
    version = SelectField("Version", validate_choice=False)
    target_milestone = SelectField("Target milestone", validate_choice=False)
    summary = StringField("Summary")
    severity = SelectField("Severity", choices=_pairs(workflow.SEVERITIES), validate_choice=False)
    priority = SelectField("Priority", choices=_pairs(workflow.PRIORITIES), validate_choice=False)
    platform = SelectField("Platform", choices=_pairs(workflow.PLATFORMS), validate_choice=False)
    op_sys = SelectField("OS", choices=_pairs(workflow.OP_SYSES), validate_choice=False)
    bug_status = SelectField("Status", validate_choice=False)
    resolution = SelectField("Resolution", choices=[SelectChoice("", "—"), *workflow.RESOLUTIONS],
                             validate_choice=False)
    dup_id = StringField("Duplicate of bug")
    assigned_to = StringField("Assignee")
    qa_contact = StringField("QA contact")
    dependson = StringField("Depends on")
    blocked = StringField("Blocks")
    addselfcc = BooleanField("Add me to CC")
    newcc = StringField("Add to CC")
    removecc = SelectMultipleField("Remove from CC", validate_choice=False)
    comment = TextAreaField("Additional comment", validators=[Length(max=MAX_COMMENT)])
    is_private = BooleanField("Private comment")

    def posted_values(self) -> dict[str, str]:
        """The editable bug fields that were on the submitted form."""
        return {name: getattr(self, name).data or "" for name in EDITABLE_FIELDS
                if getattr(self, name).raw_data}


class UploadForm(FlaskForm):
    """``/bugs/<id>/attachments``."""

    file = FileField("File", validators=[FileRequired("Choose a file to upload.")])
    description = StringField("Description", validators=[Optional(), Length(max=255)])
    is_patch = BooleanField("This is a patch")
    is_private = BooleanField("Private (only people who see private comments)")
    comment = TextAreaField("Comment", validators=[Length(max=MAX_COMMENT)])


class AttachmentEditForm(FlaskForm):
    """Description and flags of an existing attachment."""

    description = StringField("Description", validators=[DataRequired(), Length(max=255)])
    is_patch = BooleanField("Patch")
    is_obsolete = BooleanField("Obsolete")
    is_private = BooleanField("Private")


class HideCommentForm(FlaskForm):
    """Hide or unhide one comment (admins)."""

    hidden = HiddenField(validators=[DataRequired()])
