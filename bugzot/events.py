"""Domain events: what changed on a bug, recorded in the unit of work that changed it.

The history writer (``services.history``) records one event per kind of change, in
the same unit of work as the rows it writes. ``services.unit_of_work`` then hands them
to subscribers:

* ``subscribe(app, handler, phase=TRANSACTION)``: called just before the commit, inside
  the transaction, so the handler may write rows of its own (the mail and webhook
  outbox): they commit or roll back together with the change.
* ``subscribe(app, handler, phase=COMMITTED)``: called after a successful commit (must
  not write; e.g. to wake a worker).

A rolled-back unit of work delivers nothing. Subscribers live on the app
(``app.extensions``), never in module globals.

Events name bugs, users, comments and attachments by id and carry the values a
history row records; a subscriber loads what it shows, with the permissions of whoever
it shows it to (``visibility``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app

TRANSACTION, COMMITTED = "transaction", "committed"
_KEY = "bugzot.events"  # app.extensions and Session.info


@dataclass(frozen=True)
class Event:
    """Something that happened to bug ``bug_id``, making its revision ``revision``."""

    bug_id: int
    revision: int
    actor_id: int
    at: datetime


@dataclass(frozen=True)
class FieldChange:
    """One changed field, as its history row records it (CC: removed -> added)."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class BugFiled(Event):
    """A new bug (its description is comment 0, announced by its own CommentAdded)."""

    is_private: bool = False


@dataclass(frozen=True)
class CommentAdded(Event):
    """A comment, including a bug's description and the "Created attachment" comments."""

    comment_id: int = 0
    number: int = 0
    is_private: bool = False


@dataclass(frozen=True)
class FieldsChanged(Event):
    """Fields of one bug changed in one save (dependencies reach the other bugs too)."""

    changes: tuple[FieldChange, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(change.field for change in self.changes)


@dataclass(frozen=True)
class PrivacyChanged(Event):
    """The bug was made private (``is_private`` True) or public."""

    is_private: bool = False


@dataclass(frozen=True)
class DuplicateMarked(Event):
    """The bug was resolved as a duplicate of ``original_id``."""

    original_id: int = 0


@dataclass(frozen=True)
class AttachmentAdded(Event):
    """A file was attached (its comment comes as a CommentAdded of the same revision)."""

    attachment_id: int = 0
    is_private: bool = False


@dataclass(frozen=True)
class AttachmentChanged(Event):
    """An attachment's description or flags changed; ``is_private`` as it is now."""

    attachment_id: int = 0
    changes: tuple[FieldChange, ...] = ()
    is_private: bool = False
    was_private: bool = False


@dataclass(frozen=True)
class CommentHidden(Event):
    """A comment was hidden (``hidden`` True) or shown again by a moderator."""

    comment_id: int = 0
    hidden: bool = True
    is_private: bool = False


Handler = Callable[[Sequence[Event]], None]


@dataclass
class Subscribers:
    """The handlers of one app, by phase."""

    transaction: list[Handler] = field(default_factory=list)
    committed: list[Handler] = field(default_factory=list)


def init_app(app: Flask) -> None:
    """Give ``app`` its (empty) subscriber lists."""
    app.extensions[_KEY] = Subscribers()


def subscribe(app: Flask, handler: Handler, phase: str = TRANSACTION) -> Handler:
    """Call ``handler(events)`` for every unit of work that recorded events."""
    if phase not in (TRANSACTION, COMMITTED):
        raise ValueError(f"unknown phase {phase!r}")
    getattr(app.extensions[_KEY], phase).append(handler)
    return handler


def unsubscribe(app: Flask, handler: Handler) -> None:
    """Stop calling ``handler`` (tests)."""
    subscribers = app.extensions[_KEY]
    for handlers in (subscribers.transaction, subscribers.committed):
        if handler in handlers:
            handlers.remove(handler)


def record(session, event: Event) -> None:
    """Add ``event`` to the unit of work of ``session`` (the history writer calls this)."""
    session.info.setdefault(_KEY, []).append(event)


def pending(session) -> list[Event]:
    """The events ``session``'s current unit of work recorded so far."""
    return list(session.info.get(_KEY, ()))


def before_commit(session) -> list[Event]:
    """Deliver the recorded events to the transaction's subscribers; returns them."""
    recorded = session.info.pop(_KEY, [])
    if recorded:
        for handler in list(current_app.extensions[_KEY].transaction):
            handler(tuple(recorded))
    return recorded


def after_commit(recorded: list[Event]) -> None:
    """Tell the post-commit subscribers about a unit of work that committed."""
    if recorded:
        for handler in list(current_app.extensions[_KEY].committed):
            handler(tuple(recorded))


def discard(session) -> None:
    """Forget the events of a unit of work that rolled back."""
    session.info.pop(_KEY, None)
