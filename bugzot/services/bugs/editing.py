"""Editing a bug: ``update_bug(user, bug, BugEdit(...))`` changes fields, status, CC and
dependencies and adds a comment, all in one transaction, with a history row per
changed field; a mid-air collision writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm.exc import StaleDataError

from bugzot import permissions, visibility, workflow
from bugzot.exceptions import Conflict, Forbidden, NotFound, ServiceError
from bugzot.extensions import db
from bugzot.fields import EDITABLE, FIELD, MAX_COMMENT, active_user, dependency_lists, snapshot
from bugzot.models import Bug, BugCC, BugChange, Comment, User
from bugzot.services import unit_of_work
from bugzot.services.bugs import relations
from bugzot.services.commands import BugEdit, SetEdit
from bugzot.services.history import History
from bugzot.services.read import bugs as read


class MidAirCollision(Conflict):
    """Someone saved the bug after the caller loaded it; nothing was written."""

    def __init__(self, bug: Bug, loaded_revision: int):
        super().__init__("Someone else changed this bug after you loaded it. Nothing was saved: "
                         "review their changes and submit again.")
        self.bug = bug
        self.loaded_revision = loaded_revision


@dataclass
class Update:
    """What ``update_bug`` saved: the history rows and the new comment (if any)."""

    changes: list[BugChange] = field(default_factory=list)
    comment: Comment | None = None

    @property
    def saved(self) -> bool:
        """False for an edit that changed nothing (not an error: nothing was written)."""
        return bool(self.changes or self.comment)


def update_bug(user: User, bug: Bug, edit: BugEdit) -> Update:
    """Apply ``edit`` to ``bug`` as ``user``, all of it or nothing."""
    return update_bugs(user, [bug], edit)[0]


def update_bugs(user: User, bugs: list[Bug], edit: BugEdit) -> list[Update]:
    """Apply the same ``edit`` to each of ``bugs`` in one transaction: all or nothing
    (Bugzilla's ``PUT /rest/bug`` with several ids)."""
    if not getattr(user, "is_authenticated", False):
        raise Forbidden("Log in to change bugs.")
    for bug in bugs:
        if not visibility.can_see_bug(user, bug):
            raise NotFound(f"Bug {bug.id} does not exist or you may not see it.")
        if edit.revision is not None and edit.revision != bug.revision:
            raise MidAirCollision(bug, edit.revision)
    comment = edit.comment
    body = (comment.body or "").strip() if comment is not None else ""
    if body and not permissions.can(user, permissions.BUG_COMMENT):
        raise Forbidden("You may not comment on bugs.", "comment")
    if body and comment.is_private and not permissions.can(user, permissions.BUG_PRIVATE):
        raise Forbidden("You may not write private comments.", "is_private")
    if len(body) > MAX_COMMENT:
        raise ServiceError(f"Comments are at most {MAX_COMMENT} characters.", "comment")
    loaded = {bug.id: bug.revision for bug in bugs}
    current = bugs[0]
    try:
        with unit_of_work():
            results = []
            for current in bugs:
                results.append(_save(user, current, edit, body))
                db.session.flush()
    except StaleDataError:
        db.session.expire_all()
        raise MidAirCollision(current, loaded[current.id]) from None
    return results


def _save(user: User, bug: Bug, edit: BugEdit, body: str) -> Update:
    history = History(user)
    related = dependency_lists([bug.id])[bug.id]
    old = snapshot(bug, related)
    wanted = _wanted(bug, old, edit.fields)
    for name in ("dependson", "blocked"):  # what the user may not see stays as it is
        if name in wanted:
            wanted[name] |= old[name] - read.visible_ids(user, old[name])
    changed = {name: value for name, value in wanted.items() if value != old[name]}
    _check_permissions(user, bug, changed)
    _check_status(user, bug, old, changed, wanted, bool(body), edit.route)
    for spec in EDITABLE:  # table order: product before component and version
        if spec.name in changed:
            spec.assign(bug, changed[spec.name], wanted)
    original = _duplicate(user, bug, old, changed, wanted)
    relations.apply_dependencies(user, history, bug, related, changed)
    new = snapshot(bug)
    rows = [(spec.name, spec.show(old[spec.name]), spec.show(new[spec.name])) for spec in EDITABLE]
    rows += _cc_rows(user, bug, edit.cc)
    result = Update(changes=history.changes(bug, rows))
    if new["is_private"] and not old["is_private"]:
        relations.hide_duplicate_notes(bug)
    if body:
        result.comment = history.comment(bug, body, edit.comment.is_private)
    if original is not None:
        history.duplicate(bug, original)
    return result


def _wanted(bug: Bug, old: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, canonical value of each field the edit names."""
    wanted: dict[str, Any] = {}
    for name, value in given.items():
        spec = FIELD.get(name)
        if spec is None or not spec.editable:
            raise ServiceError(f"There is no field {name!r} that can be changed.", name)
        if isinstance(value, SetEdit):
            value = value.apply(old[name])
        wanted[name] = spec.check(value, bug, given)
    return wanted


def _check_permissions(user: User, bug: Bug, changed: Mapping[str, Any]) -> None:
    for name in changed:
        spec = FIELD[name]
        if spec.permission is None:
            continue  # status, resolution, duplicate: the workflow decides
        if not permissions.can(user, spec.permission, bug if spec.own_bug_ok else None):
            raise Forbidden(f"You may not change the {spec.label.lower()} of this bug.", name)


def _moves(user: User, bug: Bug, old: str, new: str, route: bool) -> list[workflow.Transition]:
    """The table rows a status change takes: one, or (``route``) the shortest chain the
    user may take; a refusal says whether the workflow or the user's rights forbid it."""
    if not route:
        row = workflow.transition(old, new)
        if row is None:
            raise ServiceError(f"A bug cannot go from {old} to {new}.", "bug_status")
        if not workflow.may_take(user, bug, row):
            raise Forbidden(f"You may not change the status from {old} to {new}.", "bug_status")
        return [row]
    rows = workflow.route(old, new, lambda row: workflow.may_take(user, bug, row))
    if rows is None:
        if workflow.route(old, new) is None:
            raise ServiceError(f"A bug cannot go from {old} to {new}.", "bug_status")
        raise Forbidden(f"You may not change the status from {old} to {new}.", "bug_status")
    return rows


def _check_status(user: User, bug: Bug, old: Mapping[str, Any], changed: Mapping[str, Any],
                  wanted: Mapping[str, Any], has_comment: bool, route: bool = False) -> None:
    """Refuse status/resolution changes the workflow or the user's permissions forbid."""
    new_status = changed.get("bug_status", old["bug_status"])
    resolution = wanted.get("resolution", old["resolution"])
    if "bug_status" in changed:
        rows = _moves(user, bug, old["bug_status"], new_status, route)
        needs_comment = [row.new for row in rows if row.needs_comment]
        if needs_comment and not has_comment:
            raise ServiceError(f"Please say why in a comment when moving a bug to "
                               f"{needs_comment[0]}.", "comment")
        if any(row.needs_resolution for row in rows) and resolution not in workflow.RESOLUTIONS:
            raise ServiceError("Choose a resolution.", "resolution")
    elif "resolution" in changed:
        if workflow.is_open(new_status):
            raise ServiceError("Only resolved bugs have a resolution.", "resolution")
        if resolution not in workflow.RESOLUTIONS:
            raise ServiceError("Choose a resolution.", "resolution")
        if not permissions.can(user, permissions.BUG_STATUS):
            raise Forbidden("You may not change the resolution.", "resolution")
    if ("dup_id" in changed and "bug_status" not in changed
            and not permissions.can(user, permissions.BUG_STATUS)):
        raise Forbidden("You may not change which bug this one duplicates.", "dup_id")


def _duplicate(user: User, bug: Bug, old: Mapping[str, Any], changed: Mapping[str, Any],
               wanted: Mapping[str, Any]) -> Bug | None:
    """Point a bug resolved as DUPLICATE at its original; the original, when new."""
    if "dup_id" not in changed and wanted.get("resolution") != workflow.DUPLICATE:
        return None
    if bug.resolution == workflow.DUPLICATE:
        target = wanted.get("dup_id") or old["dup_id"]
        original = relations.duplicate_target(user, bug, target)
        bug.dup_of_id = original.id
        return original if original.id != old["dup_id"] else None
    if changed.get("dup_id"):
        raise ServiceError("Only bugs resolved as DUPLICATE name a duplicate.", "dup_id")
    return None


_CC = (select(User).join(BugCC, BugCC.user_id == User.id)
       .where(BugCC.bug_id == bindparam("bug_id")).order_by(User.username))


def _cc_rows(user: User, bug: Bug, edit: SetEdit[User]) -> list[tuple[str, str, str]]:
    """Add/remove CC entries; only holders of bug.cc_others touch other people."""
    if not edit:
        return []
    current = {u.id: u for u in db.session.scalars(_CC, {"bug_id": bug.id})}
    wanted = {u.id: u for u in edit.apply(frozenset(current.values()))}
    touched = {u.id for u in edit.add | edit.remove} | set(current) ^ set(wanted)
    if touched - {user.id} and not permissions.can(user, permissions.BUG_CC_OTHERS):
        raise Forbidden("You may only add or remove yourself on the CC list.", "newcc")
    added = [wanted[i] for i in wanted.keys() - current.keys()]
    for person in added:
        active_user(person, "newcc")
        db.session.add(BugCC(bug_id=bug.id, user_id=person.id))
    removed = [current[i] for i in current.keys() - wanted.keys()]
    for person in removed:
        db.session.delete(db.session.get(BugCC, (bug.id, person.id)))
    if not added and not removed:
        return []
    names = lambda people: ", ".join(sorted(p.username for p in people))  # noqa: E731
    return [("cc", names(removed), names(added))]
