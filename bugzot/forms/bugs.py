"""Forms of the bug pages. Field names follow Bugzilla's (scripts rely on them) and
the internal names of the field table (``bugzot.fields``).

Each form turns what was posted into a typed command (``to_command``, ``to_edit``,
``to_upload``): usernames become users and bug-number lists sets of ints here. Selects
do not validate their choices: the services check every value and answer unknown ones
with a message on the right field, so a bad value never loses what the user typed.
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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from bugzot import workflow
from bugzot.fields import EDITABLE, MAX_COMMENT
from bugzot.forms.fields import BugIdField, BugIdsField, UserField, UserListField
from bugzot.security.inputs import ID_RANGE
from bugzot.services.commands import BugEdit, NewBug, NewComment, SetEdit, Upload


def _pairs(values) -> list[str]:
    return list(values)


def _posted(field) -> bool:
    return bool(field.raw_data)


def _upload(file, **values) -> Upload | None:
    """A ``FileStorage`` from the form as the ``Upload`` a service takes."""
    if file is None or not getattr(file, "filename", None):
        return None
    return Upload(filename=file.filename, stream=file.stream, **values)


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
    cc = UserListField("CC", validators=[Optional(), Length(max=1000)])
    is_private = BooleanField("Private bug (only you and people who see private bugs)")
    file = FileField("Attachment (optional)")
    attachment_description = StringField("Attachment description",
                                         validators=[Optional(), Length(max=255)])

    def to_command(self) -> NewBug:
        """The validated form as the command ``services.bugs.file_bug`` takes."""
        return NewBug(
            product=self.product.data, component=self.component.data or "",
            version=self.version.data or "", severity=self.severity.data,
            priority=self.priority.data, platform=self.platform.data, op_sys=self.op_sys.data,
            summary=self.summary.data, description=self.description.data or "",
            cc=frozenset(self.cc.users), is_private=self.is_private.data,
            attachment=_upload(self.file.data,
                               description=self.attachment_description.data or ""))


class BugEditForm(FlaskForm):
    """The bug page: fields, status, CC and a new comment, saved as one transaction.

    Fields the user may not change are not rendered, so they are not posted;
    ``posted_values`` returns only what was.
    """

    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(*ID_RANGE)])
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
    dup_id = BugIdField("Duplicate of bug")
    assigned_to = UserField("Assignee")
    qa_contact = UserField("QA contact")
    dependson = BugIdsField("Depends on")
    blocked = BugIdsField("Blocks")
    is_private_bug = BooleanField("Private bug")
    addselfcc = BooleanField("Add me to CC")
    newcc = UserListField("Add to CC")
    removecc = SelectMultipleField("Remove from CC", validate_choice=False)
    comment = TextAreaField("Additional comment", validators=[Length(max=MAX_COMMENT)])
    is_private = BooleanField("Private comment")

    def typed_values(self) -> dict:
        """The bug fields that were on the submitted form, as typed values."""
        values = {}
        for spec in EDITABLE:
            name = "is_private_bug" if spec.name == "is_private" else spec.name
            field = getattr(self, name, None)
            if field is None or not _posted(field):
                continue
            if isinstance(field, UserField):
                values[spec.name] = field.user
            elif isinstance(field, BugIdsField):
                values[spec.name] = field.ids
            elif isinstance(field, BugIdField):
                values[spec.name] = field.id
            else:
                values[spec.name] = field.data if spec.type == "bool" else field.data or ""
        return values

    def to_edit(self, user, cc: list) -> BugEdit:
        """The validated form as the ``BugEdit`` for ``services.bugs.update_bug``;
        ``cc`` is the bug's CC list as the page showed it (to resolve "remove")."""
        add = set(self.newcc.users)
        if self.addselfcc.data and getattr(user, "is_authenticated", False):
            add.add(user)
        by_name = {u.username: u for u in cc}
        remove = {by_name[n.strip().lower()] for n in (self.removecc.data or [])
                  if n.strip().lower() in by_name}
        body = (self.comment.data or "").strip()
        return BugEdit(revision=self.revision.data, fields=self.typed_values(),
                       cc=SetEdit(add=frozenset(add), remove=frozenset(remove)),
                       comment=NewComment(body, bool(self.is_private.data)) if body else None)


class UploadForm(FlaskForm):
    """``/bugs/<id>/attachments``."""

    file = FileField("File", validators=[FileRequired("Choose a file to upload.")])
    description = StringField("Description", validators=[Optional(), Length(max=255)])
    is_patch = BooleanField("This is a patch")
    is_private = BooleanField("Private (only people who see private comments)")
    comment = TextAreaField("Comment", validators=[Length(max=MAX_COMMENT)])

    def to_upload(self) -> Upload | None:
        """The validated form as the ``Upload`` for ``services.attachments.add_attachment``."""
        return _upload(self.file.data, description=self.description.data or "",
                       is_patch=self.is_patch.data, is_private=self.is_private.data,
                       comment=self.comment.data or "")


class AttachmentEditForm(FlaskForm):
    """Description and flags of an existing attachment."""

    description = StringField("Description", validators=[DataRequired(), Length(max=255)])
    is_patch = BooleanField("Patch")
    is_obsolete = BooleanField("Obsolete")
    is_private = BooleanField("Private")


class HideCommentForm(FlaskForm):
    """Hide or unhide one comment (admins)."""

    hidden = HiddenField(validators=[DataRequired()])
