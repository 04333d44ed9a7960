"""Mid-air collisions: what a bug looked like when the user loaded it, and the form
values to resubmit with (the user's own edits kept, everyone else's kept too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.fields import FIELD, form_values, snapshot
from bugzot.models import Bug, BugChange


def values_at(bug: Bug, revision: int) -> dict[str, str]:
    """The bug's form values as they were at ``revision`` (undoing later history rows)."""
    values = form_values(snapshot(bug))
    later = db.session.scalars(
        select(BugChange).where(BugChange.bug_id == bug.id, BugChange.revision > revision)
        .order_by(BugChange.revision.desc(), BugChange.id.desc()))
    for row in later:
        if row.field in values:
            values[row.field] = row.old_value
    return values


def merge_after_conflict(bug: Bug, loaded_revision: int, fields: Mapping[str, Any]
                         ) -> dict[str, str]:
    """Form values for resubmitting after a mid-air collision.

    ``fields`` are the typed values the user posted (a ``BugEdit``'s). A field the user
    changed keeps the user's value; the others take the current value, so resubmitting
    does not undo what the other person saved.
    """
    before = values_at(bug, loaded_revision)
    current = snapshot(bug)
    now = form_values(current)
    merged = {}
    for name, value in fields.items():
        if name not in now:
            continue
        spec = FIELD[name]
        try:
            mine = spec.show(spec.check(value, bug, fields))
        except ServiceError:
            mine = spec.show(value)  # refused as it is: certainly typed by the user
        merged[name] = mine if mine != before[name] else now[name]
    return merged
