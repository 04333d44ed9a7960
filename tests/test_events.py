"""Domain events: every kind of change produces exactly the right events, in the unit of
work that made it, and a change that rolls back produces none.

A test subscriber (``bugzot.events.subscribe``, post-commit phase) collects what each
committed unit of work delivered; a transaction-phase subscriber checks it is called
inside the transaction (before the commit) and that what it raises rolls everything back.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from conftest import edit
from sqlalchemy import func, select

from bugzot import events
from bugzot.events import (
    AttachmentAdded,
    AttachmentChanged,
    BugFiled,
    CommentAdded,
    CommentHidden,
    DuplicateMarked,
    FieldChange,
    FieldsChanged,
    PrivacyChanged,
)
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import Attachment, BugChange, Comment
from bugzot.services import attachments, bugs
from bugzot.services.commands import NewBug, Upload


@pytest.fixture
def delivered(app):
    """The events of each committed unit of work, oldest first (one list per commit)."""
    batches: list[list[events.Event]] = []
    handler = events.subscribe(app, lambda recorded: batches.append(list(recorded)),
                               events.COMMITTED)
    yield batches
    events.unsubscribe(app, handler)


def kinds(batch) -> list[tuple[type, int]]:
    return [(type(e), e.bug_id) for e in batch]


def test_filing_a_bug(app, delivered, make_product, make_user):
    product = make_product("Widget")
    reporter = make_user("rita")
    delivered.clear()
    bug = bugs.file_bug(reporter, NewBug(product="Widget", component="General", version="1.0",
                                         summary="It breaks", description="Steps."))
    [batch] = delivered
    assert kinds(batch) == [(BugFiled, bug.id), (CommentAdded, bug.id)]
    filed, described = batch
    assert (filed.revision, filed.actor_id, filed.is_private) == (1, reporter.id, False)
    assert isinstance(filed.at, datetime) and filed.at.tzinfo is not None
    assert (described.number, described.is_private, described.revision) == (0, False, 1)
    assert described.comment_id == db.session.scalar(
        select(Comment.id).where(Comment.bug_id == bug.id, Comment.number == 0))
    assert product.id == bug.product_id


def test_filing_with_an_attachment(app, delivered, make_product, make_user):
    make_product("Widget")
    reporter = make_user("rita")
    delivered.clear()
    bug = bugs.file_bug(reporter, NewBug(product="Widget", component="General", version="1.0",
                                         summary="Screenshot", attachment=Upload(
                                             "shot.txt", io.BytesIO(b"log line\n"))))
    [batch] = delivered
    assert [type(e) for e in batch] == [BugFiled, CommentAdded, AttachmentAdded, CommentAdded]
    assert {e.revision for e in batch} == {1}
    attachment_id = db.session.scalar(select(Attachment.id).where(Attachment.bug_id == bug.id))
    assert batch[2].attachment_id == attachment_id and not batch[2].is_private
    assert batch[3].number == 1


def test_a_save_with_fields_cc_and_a_comment(app, delivered, make_bug, make_user):
    bug = make_bug()
    employee, olga = make_user(role="Employee"), make_user("olga")
    delivered.clear()
    edit(employee, bug, {"priority": "P1", "assigned_to": olga}, comment="Taking a look.",
         cc_add=[olga])
    [batch] = delivered
    assert kinds(batch) == [(FieldsChanged, bug.id), (CommentAdded, bug.id)]
    changed, commented = batch
    assert changed.changes == (FieldChange("priority", "P3", "P1"),
                               FieldChange("assigned_to", "", "olga"),
                               FieldChange("cc", "", "olga"))
    assert changed.fields == ("priority", "assigned_to", "cc")
    assert changed.revision == commented.revision == bug.revision == 2
    assert changed.actor_id == commented.actor_id == employee.id
    assert (commented.number, commented.is_private) == (1, False)


def test_a_private_comment_is_marked_private(app, delivered, make_bug, make_user):
    bug = make_bug()
    delivered.clear()
    edit(make_user(role="Employee"), bug, comment="Internal.", private=True)
    [[event]] = delivered
    assert isinstance(event, CommentAdded) and event.is_private


def test_dependencies_tell_both_bugs(app, delivered, make_bug, make_user):
    blocker, bug = make_bug(), make_bug()
    delivered.clear()
    edit(make_user(role="Employee"), bug, {"dependson": frozenset({blocker.id})})
    [batch] = delivered
    assert kinds(batch) == [(FieldsChanged, blocker.id), (FieldsChanged, bug.id)]
    assert batch[0].changes == (FieldChange("blocked", "", str(bug.id)),)
    assert batch[1].changes == (FieldChange("dependson", "", str(blocker.id)),)
    assert batch[0].revision == 2 and batch[1].revision == 2


def test_marking_a_duplicate(app, delivered, make_bug, make_user):
    original, bug = make_bug(), make_bug()
    delivered.clear()
    edit(make_user(role="Employee"), bug, {"bug_status": "RESOLVED", "resolution": "DUPLICATE",
                                           "dup_id": original.id}, comment="Same thing.")
    [batch] = delivered
    assert kinds(batch) == [(FieldsChanged, bug.id), (CommentAdded, bug.id),
                            (DuplicateMarked, bug.id), (CommentAdded, original.id)]
    assert [c.field for c in batch[0].changes] == ["bug_status", "resolution", "dup_id"]
    assert batch[2].original_id == original.id
    assert batch[3].revision == original.revision == 2


def test_making_a_bug_private_and_public(app, delivered, make_bug, make_user):
    bug = make_bug()
    employee = make_user(role="Employee")
    delivered.clear()
    edit(employee, bug, {"is_private": True, "priority": "P2"})
    edit(employee, bug, {"is_private": False})
    first, second = delivered
    assert kinds(first) == [(FieldsChanged, bug.id), (PrivacyChanged, bug.id)]
    assert first[0].changes == (FieldChange("priority", "P3", "P2"),)  # privacy has its own
    assert first[1].is_private is True and second[0].is_private is False
    assert [type(e) for e in second] == [PrivacyChanged]
    rows = db.session.scalars(select(BugChange.field).where(BugChange.bug_id == bug.id)).all()
    assert rows.count("is_private") == 2  # the history still records both


def test_attachments_added_and_changed(app, delivered, make_bug, make_user):
    bug = make_bug()
    employee = make_user(role="Employee")
    delivered.clear()
    att = attachments.add_attachment(employee, bug, Upload("a.txt", io.BytesIO(b"text\n"),
                                                            description="Log"))
    attachments.update_attachment(employee, att, description="Full log", is_patch=False,
                                  is_obsolete=False, is_private=True)
    added, changed = delivered
    assert kinds(added) == [(AttachmentAdded, bug.id), (CommentAdded, bug.id)]
    assert added[0].attachment_id == att.id and added[1].number == 1
    [event] = changed
    assert isinstance(event, AttachmentChanged) and event.attachment_id == att.id
    assert event.changes == (FieldChange("attachment.description", "Log", "Full log"),
                             FieldChange("attachment.is_private", "0", "1"))
    assert (event.is_private, event.was_private) == (True, False)


def test_hiding_a_comment(app, delivered, make_bug, make_user):
    bug = make_bug()
    admin = make_user(role="Admin")
    comment = db.session.scalar(select(Comment).where(Comment.bug_id == bug.id))
    delivered.clear()
    bugs.set_comment_hidden(admin, comment, True)
    bugs.set_comment_hidden(admin, comment, True)  # already hidden: nothing to tell
    [[event]] = delivered
    assert isinstance(event, CommentHidden) and event.hidden and event.comment_id == comment.id


def test_an_edit_that_changes_nothing_tells_nothing(app, delivered, make_bug, make_user):
    bug = make_bug()
    delivered.clear()
    result = edit(make_user(role="Employee"), bug, {"priority": bug.priority})
    assert not result.saved and delivered == []


def test_a_refused_change_tells_nothing(app, delivered, make_bug, make_user):
    """The dependency loop is found after the fields were applied and rows recorded."""
    a, b = make_bug(), make_bug()
    employee = make_user(role="Employee")
    edit(employee, a, {"dependson": frozenset({b.id})})
    delivered.clear()
    with pytest.raises(ServiceError):
        edit(employee, b, {"priority": "P1", "dependson": frozenset({a.id})}, comment="Loop")
    assert delivered == []
    db.session.expire_all()
    assert b.priority == "P3" and b.revision == 2


def test_transaction_subscribers_run_before_the_commit_and_can_undo_it(app, delivered, make_bug,
                                                                       make_user):
    bug = make_bug()
    employee = make_user(role="Employee")
    seen: list[tuple[str, int]] = []

    def inside(recorded):
        # Called inside the transaction: the change's rows are there, not yet committed.
        count = db.session.scalar(select(func.count()).select_from(Comment)
                                  .where(Comment.bug_id == bug.id))
        seen.append((type(recorded[-1]).__name__, count))
        if "REFUSE" in db.session.get(Comment, recorded[-1].comment_id).body:
            raise RuntimeError("the outbox could not be written")

    events.subscribe(app, inside)
    try:
        delivered.clear()
        edit(employee, bug, comment="Fine.")
        with pytest.raises(RuntimeError):
            edit(employee, bug, comment="REFUSE this one.")
    finally:
        events.unsubscribe(app, inside)
    assert seen == [("CommentAdded", 2), ("CommentAdded", 3)]
    assert len(delivered) == 1  # the second never committed
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Comment)
                             .where(Comment.bug_id == bug.id)) == 2
    assert bug.revision == 2
