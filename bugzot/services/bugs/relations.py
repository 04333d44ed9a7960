"""Relations between bugs: dependencies (no cycles) and duplicates (no loops).

These run inside ``update_bug``'s unit of work and never commit themselves; the other
bugs a change touches get their own history rows and events through the same
``History``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from bugzot import visibility
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.fields import FIELD, Related, dependency_lists
from bugzot.models import Bug, Comment, Dependency, User
from bugzot.services.history import History, duplicate_note


def _visible_other(user: User, bug: Bug, bug_id: int, field: str) -> Bug:
    if bug_id == bug.id:
        raise ServiceError("A bug cannot refer to itself.", field)
    other = visibility.visible_bug(user, bug_id)
    if other is None:
        raise ServiceError(f"Bug {bug_id} does not exist or you may not see it.", field)
    return other


# -- duplicates -------------------------------------------------------------------------
def duplicate_target(user: User, bug: Bug, original_id: int | None) -> Bug:
    """The bug ``bug`` may be marked a duplicate of, refusing loops (A dup of B dup of A)."""
    if not original_id:
        raise ServiceError("Give the number of the bug this one duplicates.", "dup_id")
    original = _visible_other(user, bug, original_id, "dup_id")
    seen, cursor = {bug.id}, original
    while cursor is not None and cursor.dup_of_id is not None:
        if cursor.dup_of_id in seen:
            raise ServiceError(f"Bug {original.id} is itself a duplicate of this bug.", "dup_id")
        seen.add(cursor.id)
        cursor = db.session.get(Bug, cursor.dup_of_id)
    return original


def hide_duplicate_notes(bug: Bug) -> None:
    """``bug`` became private: the notes naming it on the bugs it duplicated become
    private too (its number must not reach people who may not see it). References in
    history rows and dependency lists are left out at read time (``services.read``)."""
    db.session.execute(update(Comment).where(Comment.body == duplicate_note(bug.id),
                                             Comment.bug_id != bug.id)
                       .values(is_private=True))


# -- dependencies -----------------------------------------------------------------------
def _reaches(start: set[int], targets: set[int], skip: int) -> bool:
    """True when following "depends on" edges from ``start`` reaches ``targets``.

    Edges touching ``skip`` (the bug being edited) are ignored: they are being
    replaced by the new lists.
    """
    seen, frontier = set(start), set(start)
    while frontier:
        if frontier & targets:
            return True
        nxt = set(db.session.scalars(select(Dependency.dependson_id).where(
            Dependency.blocked_id.in_(frontier), Dependency.blocked_id != skip,
            Dependency.dependson_id != skip)))
        frontier = nxt - seen
        seen |= nxt
    return False


def apply_dependencies(user: User, history: History, bug: Bug, old: Related,
                       changed: Mapping[str, Any]) -> None:
    """Replace ``bug``'s depends-on/blocks lists; history rows on the other bugs too."""
    if "dependson" not in changed and "blocked" not in changed:
        return
    new = {name: set(changed.get(name, old[name])) for name in ("dependson", "blocked")}
    for name in new:
        for bug_id in sorted(new[name] - old[name]):
            _visible_other(user, bug, bug_id, name)
    both = new["dependson"] & new["blocked"]
    if both or _reaches(new["dependson"], new["blocked"] | {bug.id}, bug.id):
        field = "dependson" if "dependson" in changed else "blocked"
        raise ServiceError("That would make a dependency loop"
                           + (f" (bug {min(both)} on both lists)." if both else "."), field)
    touched = sorted({i for name in new for i in new[name] ^ old[name]})
    before = dependency_lists(touched)
    db.session.execute(delete(Dependency).where(
        (Dependency.blocked_id == bug.id) | (Dependency.dependson_id == bug.id)))
    db.session.add_all([Dependency(blocked_id=bug.id, dependson_id=i) for i in new["dependson"]]
                       + [Dependency(blocked_id=i, dependson_id=bug.id) for i in new["blocked"]])
    db.session.flush()
    after = dependency_lists(touched)
    for other_id in touched:
        other = db.session.get(Bug, other_id)
        history.changes(other, [(name, FIELD[name].show(before[other_id][name]),
                                 FIELD[name].show(after[other_id][name]))
                                for name in ("dependson", "blocked")])
