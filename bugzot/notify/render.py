"""One recipient's bug mail, built when it is sent, with their permissions then.

What the mail shows comes from the read side as the recipient would see it on the bug
page: ``bugs_by_id`` (no mail about a bug they may not see), ``history_of`` (private rows
left out, references to bugs they may not see removed), ``comments_of`` (private ones
only for those who may see them) and ``visibility.can_read_comment`` (hidden ones not at
all). When nothing they asked to hear about is left (the save was only private), there
is no mail. Subject ``[Bug N] summary``; threading headers per bug and recipient
(Message-ID, In-Reply-To, References), ``X-BugZot-Reason``/``-Product``/``-Component``
and ``List-Unsubscribe`` pointing at the notification preferences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from bugzot import visibility
from bugzot.extensions import db
from bugzot.fields import HISTORY_LABELS
from bugzot.models import Bug, Comment, User
from bugzot.notify.changes import kinds_seen
from bugzot.notify.transport import new_message
from bugzot.services.outbox import link
from bugzot.services.read import bugs as read
from bugzot.services.read.users import logged_in_user

REASONS = {  # role -> (X-BugZot-Reason word, the sentence at the foot of the mail)
    "reporter": ("Reporter", "You reported the bug."),
    "assignee": ("AssignedTo", "You are the assignee for the bug (or were, until this change)."),
    "qa": ("QAcontact", "You are the QA contact for the bug (or were, until this change)."),
    "cc": ("CC", "You are on the CC list for the bug (or were, until this change)."),
    "watcher": ("Watch", "You are watching the bug's component or product."),
}


def url_for_mail(endpoint: str, **values: Any) -> str:
    """An absolute link to a page, built from BASE_URL (the worker has no request)."""
    return link(current_app.url_map.bind("localhost").build(endpoint, values))


def mail_domain() -> str:
    """The right-hand side of our Message-IDs: BASE_URL's host."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "bugzot"


@dataclass
class Seen:
    """What one recipient may see of some saves of one bug."""

    bug: Bug
    first_revision: int
    changes: list[Any] = field(default_factory=list)  # history rows, oldest first
    comments: list[Comment] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)

    def table(self) -> list[tuple[str, str, str]]:
        """The changes as (what, removed, added) lines."""
        lines = []
        for row in self.changes:
            label = HISTORY_LABELS.get(row.field, row.field)
            if row.attachment_id:
                label += f" (attachment {row.attachment_id})"
            lines.append((label, row.old_value, row.new_value))
        return lines


def seen_by(user: User, ranges: dict[int, tuple[int, int]]) -> dict[int, Seen]:
    """For each bug id -> (first, last revision) in ``ranges``, what ``user`` may see of
    those saves: bugs they may not see are left out (a few statements for any number)."""
    bugs = read.bugs_by_id(user, ranges)
    if not bugs:
        return {}
    read.load_people(list(bugs.values()))
    since = min(first for first, _ in ranges.values()) - 1
    history = read.history_of(user, bugs, since)
    comments = read.comments_of(user, bugs, since)
    out = {}
    for bug_id, bug in bugs.items():
        first, last = ranges[bug_id]
        rows = [r for r in history[bug_id] if first <= r.revision <= last]
        shown = [c for c in comments[bug_id] if first <= c.revision <= last
                 and visibility.can_read_comment(user, c)]
        out[bug_id] = Seen(bug, first, rows, shown, kinds_seen(first, rows, shown))
    return out


def recipient(user_id: int | None) -> User | None:
    """The recipient with their role's grants, if the account may still get mail."""
    user = logged_in_user(user_id) if user_id is not None else None
    return user if user is not None and user.is_active else None


def person(user_id: int | None) -> str:
    """How a mail names the person who made a change."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        return "Someone"
    return f"{user.real_name} ({user.username})" if user.real_name else user.username


def bug_fields(bug: Bug) -> list[tuple[str, str]]:
    """The new bug's fields, as the head of its first mail lists them."""
    def name(user: User | None) -> str:
        return user.username if user is not None else "nobody"
    return [("Bug ID", str(bug.id)), ("Summary", bug.summary), ("Product", bug.product.name),
            ("Component", bug.component.name),
            ("Version", bug.version.value if bug.version else "unspecified"),
            ("Status", bug.status), ("Severity", bug.severity), ("Priority", bug.priority),
            ("Reporter", name(bug.reporter)), ("Assignee", name(bug.assignee)),
            ("QA contact", name(bug.qa_contact))]


def bug_mail(row: Any) -> EmailMessage | None:
    """The mail of outbox row ``row`` (kind "bug", not a digest), or None when its
    recipient may see nothing they asked to hear about."""
    user = recipient(row.user_id)
    if user is None:
        return None
    seen = seen_by(user, {row.bug_id: (row.first_revision, row.last_revision)}).get(row.bug_id)
    if seen is None or not seen.kinds & set(row.changes.split()):
        return None
    bug, new = seen.bug, "new" in seen.kinds
    reasons = [r for r in REASONS if r in row.reasons.split()]
    body = render_template(
        "mail/bug.txt", bug=bug, url=url_for_mail("bugs.show", bug_id=bug.id), new=new,
        fields=bug_fields(bug) if new else [], actor=person(row.actor_id),
        changes=seen.table(), comments=seen.comments,
        reasons=[REASONS[r][1] for r in reasons], prefs_url=prefs_url())
    msg = new_message(current_app.config, user.email, f"[Bug {bug.id}] {bug.summary}", body)
    thread_headers(msg, bug, user, row, new)
    msg["X-BugZot-Reason"] = " ".join(REASONS[r][0] for r in reasons) or "None"
    msg["X-BugZot-Type"] = "new" if new else "changed"
    msg["X-BugZot-Product"] = bug.product.name
    msg["X-BugZot-Component"] = bug.component.name
    msg["List-Unsubscribe"] = f"<{prefs_url()}>"
    return msg


def prefs_url() -> str:
    return url_for_mail("notifications.prefs")


def thread_headers(msg: EmailMessage, bug: Bug, user: User, row: Any, new: bool) -> None:
    """Every mail about a bug to one recipient threads under the bug's first mail to them
    (``<bug-N-U@host>``), whether or not they got it (clients thread on References)."""
    root = f"<bug-{bug.id}-{user.id}@{mail_domain()}>"
    del msg["Message-ID"]
    if new:
        msg["Message-ID"] = root
        return
    msg["Message-ID"] = f"<bug-{bug.id}-{user.id}-r{row.last_revision}.{row.id}@{mail_domain()}>"
    msg["In-Reply-To"] = root
    msg["References"] = root
