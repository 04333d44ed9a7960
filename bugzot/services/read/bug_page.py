"""Everything the bug page shows, in a fixed number of statements.

``bug_page(user, bug_id)`` is the bug, its people, CC, comments, attachments, history,
dependencies, duplicates and what the user may change; ``timeline`` merges comments and
history into the one list the page shows; ``changes_since`` is what the mid-air page
shows. ``tests/test_query_counts.py`` holds the statement budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bugzot import visibility
from bugzot.fields import dependency_lists, snapshot
from bugzot.models import Attachment, Bug, Comment, User
from bugzot.services.read import bugs as read


@dataclass
class BugPage:
    """What one user sees of one bug."""

    bug: Bug
    values: dict[str, Any]  # the editable fields, typed (``fields.snapshot``)
    cc: list[User]
    comments: list[Comment]
    readable: set[int]  # ids of the comments whose text the user may read
    attachments: list[Attachment]
    history: list[Any]
    dependson: list[Bug]
    blocked: list[Bug]
    duplicates: list[Bug]
    original: Bug | None  # the bug this one duplicates, when the user may see it
    editable: set[str]
    status_choices: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def timeline(self) -> list[TimelineItem]:
        """Comments and field changes in the order they were saved."""
        return timeline(self.comments, self.history, self.attachments)


@dataclass
class TimelineItem:
    """One entry of the bug page's timeline: a comment, or the field changes one person
    saved at once (one revision)."""

    kind: str  # "comment" or "change"
    at: datetime
    user: User | None
    revision: int
    comment: Comment | None = None
    attachment: Attachment | None = None  # the comment's attachment, when the viewer sees it
    changes: list[Any] = field(default_factory=list)  # history rows of one save


def timeline(comments: list[Comment], history: list[Any],
             attachments: list[Attachment]) -> list[TimelineItem]:
    """Comments and history rows (as the viewer may see them) in one list, oldest first:
    rows of one save by one person become one item, after that save's comment."""
    by_id = {a.id: a for a in attachments}
    items = [TimelineItem("comment", c.created_at, c.author, c.revision, comment=c,
                          attachment=by_id.get(c.attachment_id)) for c in comments]
    groups: dict[tuple[int, int], TimelineItem] = {}
    for row in history:
        key = (row.revision, row.user_id)
        if key not in groups:
            groups[key] = TimelineItem("change", row.changed_at, row.user, row.revision)
            items.append(groups[key])
        groups[key].changes.append(row)
    # The revision orders saves; rows written before revisions existed (all 1) by time.
    items.sort(key=lambda i: (i.revision, i.at, i.kind != "comment",
                              i.comment.number if i.comment else 0))
    return items


def bug_page(user: Any, bug_id: int) -> BugPage | None:
    """The bug page of ``bug_id`` for ``user``, or None when it does not exist for them."""
    bug = read.bugs_by_id(user, [bug_id]).get(bug_id)
    if bug is None:
        return None
    read.load_people([bug])
    comments = read.comments_of(user, [bug.id])[bug.id]
    related = dependency_lists([bug.id])[bug.id]
    rows = read.history_rows(user, [bug.id])
    others = set(related["dependson"]) | set(related["blocked"]) | read.referenced_bugs(rows)
    if bug.dup_of_id:
        others.add(bug.dup_of_id)
    found = read.related_bugs(user, [bug.id], others)
    seen = {b.id for b in found}
    lists = read.relations_of(user, [bug], {bug.id: related}, found)[bug.id]
    # The form shows (and a save keeps) only the bugs the user may see.
    shown = {name: frozenset(b.id for b in lists[name]) for name in ("dependson", "blocked")}
    values = snapshot(bug, shown)
    if bug.dup_of_id and bug.dup_of_id not in seen:
        values["dup_id"] = None
    return BugPage(
        bug=bug, values=values, cc=read.cc_lists([bug.id])[bug.id],
        comments=comments,
        readable={c.id for c in comments if visibility.can_read_comment(user, c)},
        attachments=read.attachments_of(user, [bug.id])[bug.id],
        history=read.hide_unseen_references(rows, seen),
        dependson=lists["dependson"], blocked=lists["blocked"], duplicates=lists["duplicates"],
        original=next((b for b in found if b.id == bug.dup_of_id), None),
        editable=read.editable_fields(user, bug), status_choices=read.status_choices(user, bug))


def changes_since(user: Any, bug: Bug, revision: int) -> dict[str, list[Any]]:
    """What others saved on ``bug`` after ``revision`` that ``user`` may see: history
    rows (``changes``) and comments (``comments``)."""
    return {"changes": read.history_of(user, [bug.id], revision)[bug.id],
            "comments": read.comments_of(user, [bug.id], revision)[bug.id]}
