"""The history writer: the one place that writes a bug's change rows and comments.

Every service that changes a bug goes through a ``History`` made for its acting user
and its unit of work. For each change it writes the ``BugChange`` / ``Comment`` rows,
gives the bug its next revision (once per bug per save, which also arms the optimistic
lock), and records the matching domain event (``bugzot.events``) in the same unit of
work. So "this bug changed in this way, by this person, at this revision" is known in
exactly one place, and what notifications receive is what history shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from bugzot import events, markup
from bugzot.exceptions import Conflict
from bugzot.extensions import db
from bugzot.models import Attachment, Bug, BugChange, Comment, User, utcnow

Row = tuple[str, str, str]  # (field, old, new) as the history table shows them


def duplicate_note(bug_id: int) -> str:
    """The comment an original gets when bug ``bug_id`` is marked as its duplicate."""
    return f"Bug {bug_id} has been marked as a duplicate of this bug."


class History:
    """Writes the rows and records the events of one unit of work by ``actor``."""

    def __init__(self, actor: User):
        self.actor = actor
        self.now = utcnow()
        self._revisions: dict[int, int] = {}

    # -- revisions -------------------------------------------------------------------
    def revision(self, bug: Bug) -> int:
        """``bug``'s revision for this save: bumped on first use, then the same."""
        if bug.id not in self._revisions:
            bug.revision = bug.revision + 1
            bug.updated_at = self.now
            self._revisions[bug.id] = bug.revision
        return self._revisions[bug.id]

    def _event(self, kind: type[events.Event], bug: Bug, **values) -> None:
        events.record(db.session, kind(bug_id=bug.id, revision=self.revision(bug),
                                       actor_id=self.actor.id, at=self.now, **values))

    # -- filing ----------------------------------------------------------------------
    def filed(self, bug: Bug, description: str) -> Comment:
        """A new bug (already flushed, revision 1) and its description as comment 0."""
        self._revisions[bug.id] = bug.revision
        self._event(events.BugFiled, bug, is_private=bug.is_private)
        return self.comment(bug, description, False, number=0)

    # -- fields ----------------------------------------------------------------------
    def changes(self, bug: Bug, rows: Iterable[Row]) -> list[BugChange]:
        """History rows for changed fields of ``bug`` and their events: the bug's
        privacy has its own event, every other row goes into one FieldsChanged."""
        written = [self._row(bug, field, old, new) for field, old, new in rows if old != new]
        changes = tuple(events.FieldChange(r.field, r.old_value, r.new_value) for r in written
                        if r.field != "is_private")
        if changes:
            self._event(events.FieldsChanged, bug, changes=changes)
        for row in written:
            if row.field == "is_private":
                self._event(events.PrivacyChanged, bug, is_private=row.new_value == "1")
        return written

    def _row(self, bug: Bug, field: str, old: str, new: str, **extra) -> BugChange:
        row = BugChange(bug_id=bug.id, user_id=self.actor.id, field=field, old_value=old,
                        new_value=new, revision=self.revision(bug), changed_at=self.now, **extra)
        db.session.add(row)
        return row

    def duplicate(self, bug: Bug, original: Bug) -> Comment:
        """``bug`` was marked as a duplicate of ``original``: say so on the original."""
        self._event(events.DuplicateMarked, bug, original_id=original.id)
        # A private bug's number must not reach people who cannot see private things.
        return self.comment(original, duplicate_note(bug.id), bug.is_private)

    # -- comments --------------------------------------------------------------------
    def comment(self, bug: Bug, body: str, private: bool, *, number: int | None = None,
                attachment: Attachment | None = None) -> Comment:
        """Append a comment with the next number."""
        revision = self.revision(bug)
        if number is None:
            # The revision bump first: its UPDATE (checking the old revision) locks the bug's
            # row, so two saves racing on one bug cannot both read the same highest number
            # (a duplicate key or a deadlock, a 500, under load); the later one waits, then
            # is a mid-air collision.
            db.session.flush()
            number = db.session.scalar(select(func.coalesce(func.max(Comment.number), -1))
                                       .where(Comment.bug_id == bug.id)) + 1
        comment = Comment(bug_id=bug.id, number=number, author_id=self.actor.id, body=body,
                          body_html=markup.stored_html(body, bug.id),
                          body_html_version=markup.RENDER_VERSION, is_private=private,
                          revision=revision, created_at=self.now,
                          attachment_id=attachment.id if attachment is not None else None)
        db.session.add(comment)
        db.session.flush()
        self._event(events.CommentAdded, bug, comment_id=comment.id, number=number,
                    is_private=private)
        return comment

    def comment_hidden(self, bug: Bug, comment: Comment, hidden: bool) -> BugChange:
        """A moderator hid (or showed again) ``comment``."""
        row = self._row(bug, "comment_hidden", str(int(comment.is_hidden)), str(int(hidden)),
                        comment_id=comment.id, is_private=comment.is_private)
        self._event(events.CommentHidden, bug, comment_id=comment.id, hidden=hidden,
                    is_private=comment.is_private)
        return row

    # -- attachments -----------------------------------------------------------------
    def attachment_added(self, bug: Bug, attachment: Attachment, note: str = "") -> Comment:
        """A new attachment (flushed) and its "Created attachment N" comment."""
        self._event(events.AttachmentAdded, bug, attachment_id=attachment.id,
                    is_private=attachment.is_private)
        body = f"Created attachment {attachment.id}\n{attachment.description}"
        if note.strip():
            body += "\n\n" + note.strip()
        return self.comment(bug, body, attachment.is_private, attachment=attachment)

    def attachment_changed(self, bug: Bug, attachment: Attachment, rows: Iterable[Row],
                           was_private: bool) -> list[BugChange]:
        """Changed description or flags of ``attachment`` (already set on it)."""
        private = was_private or attachment.is_private
        written = [self._row(bug, f"attachment.{field}", old, new, attachment_id=attachment.id,
                             is_private=private) for field, old, new in rows if old != new]
        if written:
            self._event(events.AttachmentChanged, bug, attachment_id=attachment.id,
                        changes=tuple(events.FieldChange(r.field, r.old_value, r.new_value)
                                      for r in written),
                        is_private=attachment.is_private, was_private=was_private)
        return written


@contextmanager
def one_save(bug_id: int) -> Iterator[None]:
    """Turn a lost optimistic-lock race on a bug into a clear refusal (409)."""
    try:
        yield
    except StaleDataError:
        db.session.rollback()
        raise Conflict(f"Someone changed bug {bug_id} at the same moment. Nothing was "
                       "saved; please try again.") from None
