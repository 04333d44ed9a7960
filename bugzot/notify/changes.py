"""Kinds of change, the words of the preferences matrix and of webhook event kinds.

The same classification serves the subscriber (from domain events, to decide who wants
to hear about a save) and the worker (from what the recipient may see of it, to decide
whether anything they asked for is left), so both always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bugzot import events

STATUS_FIELDS = frozenset({"bug_status", "resolution", "dup_id"})
# Mail kinds -> webhook event kinds.
WEBHOOK_KIND = {"new": "bug.filed", "comment": "comment.added", "attachment": "attachment.added",
                "status": "bug.changed", "fields": "bug.changed", "cc": "bug.changed"}


def kind_of_field(field: str) -> str | None:
    """The kind of change a history row of ``field`` is (None: not worth a mail)."""
    if field in STATUS_FIELDS:
        return "status"
    if field == "cc":
        return "cc"
    if field.startswith("attachment."):
        return "attachment"
    if field == "comment_hidden":
        return None  # moderation is not news
    return "fields"


def kind_of_comment(comment: Any) -> str:
    """A bug's description belongs to the new bug, an upload's comment to its attachment."""
    if comment.number == 0:
        return "new"
    return "attachment" if comment.attachment_id else "comment"


def kinds_of_events(recorded: Sequence[events.Event]) -> set[str]:
    """The kinds of change the events of one save of one bug make."""
    kinds: set[str] = set()
    after_upload = False  # the CommentAdded right after an AttachmentAdded is its comment
    for event in recorded:
        if isinstance(event, events.BugFiled):
            kinds.add("new")
        elif isinstance(event, events.CommentAdded):
            if not after_upload and event.number > 0:
                kinds.add("comment")
        elif isinstance(event, events.FieldsChanged):
            kinds |= {k for k in map(kind_of_field, event.fields) if k}
        elif isinstance(event, (events.PrivacyChanged,)):
            kinds.add("fields")
        elif isinstance(event, events.DuplicateMarked):
            kinds.add("status")
        elif isinstance(event, (events.AttachmentAdded, events.AttachmentChanged)):
            kinds.add("attachment")
        after_upload = isinstance(event, events.AttachmentAdded)
    return kinds


def kinds_seen(first_revision: int, rows: Iterable[Any], comments: Iterable[Any]) -> set[str]:
    """The kinds of change in what a recipient may see of a save: history ``rows`` and
    ``comments`` (already filtered for them); revision 1 is the new bug itself."""
    kinds = {k for k in (kind_of_field(r.field) for r in rows) if k}
    kinds |= {kind_of_comment(c) for c in comments}
    if first_revision == 1:
        kinds.add("new")
    return kinds
