"""The bug lifecycle and field vocabularies as data.

``TRANSITIONS`` is the status workflow (Bugzilla's ``status_workflow``, Trac's
``[ticket-workflow]``): one row per allowed (old, new) pair, naming the
permission it needs, whether a comment is required, and whether the bug's
reporter may take it on their own bug without that permission. A new transition
is one new row here; ``tests/test_workflow.py`` is parametrized over the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bugzot import permissions

OPEN_STATUSES: tuple[str, ...] = ("UNCONFIRMED", "NEW", "ASSIGNED", "REOPENED")
CLOSED_STATUSES: tuple[str, ...] = ("RESOLVED", "VERIFIED", "CLOSED")
STATUSES: tuple[str, ...] = OPEN_STATUSES + CLOSED_STATUSES
RESOLUTIONS: tuple[str, ...] = ("FIXED", "INVALID", "WONTFIX", "DUPLICATE", "WORKSFORME")
DUPLICATE = "DUPLICATE"
RESOLVED = "RESOLVED"

# Field vocabularies (the values are what forms post and history records).
SEVERITIES: tuple[str, ...] = ("blocker", "critical", "major", "normal", "minor", "trivial",
                               "enhancement")
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4", "P5")
PLATFORMS: tuple[str, ...] = ("All", "PC", "Macintosh", "ARM", "Other")
OP_SYSES: tuple[str, ...] = ("All", "Windows", "Linux", "macOS", "Android", "iOS", "Other")
DEFAULT_SEVERITY, DEFAULT_PRIORITY = "normal", "P3"


@dataclass(frozen=True)
class Transition:
    """One allowed status change."""

    old: str
    new: str
    permission: str = permissions.BUG_STATUS
    needs_comment: bool = False
    reporter_may: bool = False  # the bug's reporter may take it on their own bug

    @property
    def needs_resolution(self) -> bool:
        """Moving into RESOLVED needs a resolution; other moves keep or clear it."""
        return self.new == RESOLVED


def _rows(olds: str, new: str, **kw: Any) -> list[Transition]:
    return [Transition(old, new, **kw) for old in olds.split()]


TRANSITIONS: tuple[Transition, ...] = tuple(
    _rows("UNCONFIRMED", "NEW", permission=permissions.BUG_CONFIRM)  # confirm
    + _rows("NEW REOPENED", "ASSIGNED")
    + _rows("UNCONFIRMED NEW ASSIGNED REOPENED", "RESOLVED", needs_comment=True, reporter_may=True)
    + _rows("RESOLVED", "VERIFIED")
    + _rows("RESOLVED VERIFIED", "CLOSED", reporter_may=True)
    + _rows("RESOLVED VERIFIED CLOSED", "REOPENED", needs_comment=True, reporter_may=True)
)
_BY_PAIR: dict[tuple[str, str], Transition] = {(t.old, t.new): t for t in TRANSITIONS}


@dataclass(frozen=True)
class StatusChange:
    """The object ``permissions.can(user, t.permission, StatusChange(bug, t))`` is asked about."""

    bug: Any
    transition: Transition


@permissions.object_rule(permissions.BUG_STATUS)
def _reporter_reopens_and_closes(user: Any, obj: Any) -> bool | None:
    """Reporters may reopen and close (resolve) their own bugs."""
    if (isinstance(obj, StatusChange) and obj.transition.reporter_may
            and getattr(user, "is_authenticated", False) and obj.bug.reporter_id == user.id
            and permissions.BUG_EDIT_OWN in permissions.granted(user)):
        return True
    return None


def is_open(status: str) -> bool:
    """True for statuses that count as open (lists, home-page counts)."""
    return status in OPEN_STATUSES


def transition(old: str, new: str) -> Transition | None:
    """The table row for ``old`` -> ``new``, or None when the workflow has no such move."""
    return _BY_PAIR.get((old, new))


def may_take(user: Any, bug: Any, row: Transition) -> bool:
    """True when ``user`` may move ``bug`` along ``row``."""
    return permissions.can(user, row.permission, StatusChange(bug, row))


def route(old: str, new: str, allowed: Any = None) -> list[Transition] | None:
    """The shortest chain of table rows from ``old`` to ``new`` whose every row passes
    ``allowed(row)`` (default: any row), or None. Bugzilla clients close an open bug in
    one request (``status: CLOSED``); the REST API asks for the route, the web page
    offers only single moves."""
    frontier: list[tuple[str, list[Transition]]] = [(old, [])]
    seen = {old}
    while frontier:
        status, path = frontier.pop(0)
        for row in TRANSITIONS:
            if row.old != status or row.new in seen or (allowed and not allowed(row)):
                continue
            if row.new == new:
                return [*path, row]
            seen.add(row.new)
            frontier.append((row.new, [*path, row]))
    return None


def allowed_transitions(user: Any, bug: Any) -> list[Transition]:
    """The moves out of ``bug``'s current status that ``user`` may take (the page offers these)."""
    return [t for t in TRANSITIONS if t.old == bug.status and may_take(user, bug, t)]


def initial_status(user: Any, product: Any) -> str:
    """NEW, or UNCONFIRMED for users who may not confirm when the product asks for it."""
    if product.allows_unconfirmed and not permissions.can(user, permissions.BUG_CONFIRM):
        return "UNCONFIRMED"
    return "NEW"
