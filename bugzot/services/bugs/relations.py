"""Relations between bugs: dependencies (no cycles) and duplicates.

These run inside ``update_bug``'s unit of work and never commit themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select

from bugzot import visibility, workflow
from bugzot.extensions import db
from bugzot.models import Bug, BugChange, Comment, Dependency, utcnow
from bugzot.services.bugs.fields import FieldError, bump, dependencies, id_list


def _visible_other(user: Any, bug: Bug, bug_id: int, field: str) -> Bug:
    if bug_id == bug.id:
        raise FieldError("A bug cannot refer to itself.", field)
    other = visibility.visible_bug(user, bug_id)
    if other is None:
        raise FieldError(f"Bug {bug_id} does not exist or you may not see it.", field)
    return other


# -- duplicates -------------------------------------------------------------------------
def check_duplicate_target(user: Any, bug: Bug, value: str) -> None:
    """Point ``bug`` at the original it duplicates, refusing loops (A dup of B dup of A)."""
    if not value or not value.isdigit():
        raise FieldError("Give the number of the bug this one duplicates.", "dup_id")
    original = _visible_other(user, bug, int(value), "dup_id")
    seen, cursor = {bug.id}, original
    while cursor is not None and cursor.dup_of_id is not None:
        if cursor.dup_of_id in seen:
            raise FieldError(f"Bug {original.id} is itself a duplicate of this bug.", "dup_id")
        seen.add(cursor.id)
        cursor = db.session.get(Bug, cursor.dup_of_id)
    bug.dup_of_id = original.id


def record_duplicate(user: Any, bug: Bug, original_id: int) -> None:
    """Tell the original in a comment that ``bug`` was marked as its duplicate."""
    original = db.session.get(Bug, original_id)
    number = db.session.scalar(select(func.coalesce(func.max(Comment.number), -1))
                               .where(Comment.bug_id == original.id)) + 1
    # A private bug's number must not leak to people who cannot see private things.
    db.session.add(Comment(bug_id=original.id, number=number, author_id=user.id,
                           body=f"Bug {bug.id} has been marked as a duplicate of this bug.",
                           is_private=bug.is_private, revision=bump(original),
                           created_at=utcnow()))


# -- dependencies -----------------------------------------------------------------------
def _ids(text: str) -> set[int]:
    return {int(x) for x in text.replace(",", " ").split()}


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


def apply_dependencies(user: Any, bug: Bug, changed: Mapping[str, str]) -> None:
    """Replace ``bug``'s depends-on/blocks lists; history rows on the other bugs too."""
    if "dependson" not in changed and "blocked" not in changed:
        return
    old = {name: set(ids) for name, ids in dependencies(bug.id).items()}
    new = {name: (_ids(changed[name]) if name in changed else set(old[name])) for name in old}
    for name in new:
        for bug_id in new[name] - old[name]:
            _visible_other(user, bug, bug_id, name)
    both = new["dependson"] & new["blocked"]
    if both or _reaches(new["dependson"], new["blocked"] | {bug.id}, bug.id):
        field = "dependson" if "dependson" in changed else "blocked"
        raise FieldError("That would make a dependency loop"
                         + (f" (bug {min(both)} on both lists)." if both else "."), field)
    touched = {i for name in new for i in new[name] ^ old[name]}
    before = {i: {name: id_list(ids) for name, ids in dependencies(i).items()} for i in touched}
    db.session.execute(delete(Dependency).where(
        (Dependency.blocked_id == bug.id) | (Dependency.dependson_id == bug.id)))
    db.session.add_all([Dependency(blocked_id=bug.id, dependson_id=i) for i in new["dependson"]]
                       + [Dependency(blocked_id=i, dependson_id=bug.id) for i in new["blocked"]])
    db.session.flush()
    for other_id in sorted(touched):
        other = db.session.get(Bug, other_id)
        revision = bump(other)
        for name, ids in dependencies(other_id).items():
            after = id_list(ids)
            if after != before[other_id][name]:
                db.session.add(BugChange(bug_id=other_id, user_id=user.id, field=name,
                                         old_value=before[other_id][name], new_value=after,
                                         revision=revision, changed_at=utcnow()))


def open_blockers(user: Any, bug: Bug) -> list[Bug]:
    """Visible open bugs ``bug`` depends on (shown on the page)."""
    ids = dependencies(bug.id)["dependson"]
    return list(db.session.scalars(select(Bug).where(
        Bug.id.in_(ids), Bug.status.in_(workflow.OPEN_STATUSES),
        visibility.visible_bugs_clause(user))))
