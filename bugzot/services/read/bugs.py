"""Reading bugs for pages, exports and the REST API, one bug or many at a time.

Every loader takes many bug ids and runs one statement whatever their number (no N+1);
the one-bug page uses the same loaders with one id. What a user may see is decided by
``visibility`` (its clauses are in every statement); references to other bugs
(dependencies, duplicates, history rows naming bugs) are left out when the user may
not see the bug they name, so a private bug's number never leaks through a public one.

Statements are built once per kind of viewer (``visibility.VIEWERS``) or per answer of
``sees_private``, with bound parameters: building a statement per call costs more
Python time than running it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from bugzot import permissions, visibility, workflow
from bugzot.extensions import db
from bugzot.fields import EDITABLE, Related, id_list
from bugzot.models import Attachment, Bug, BugCC, BugChange, Comment, Product, User

_IDS = bindparam("ids", expanding=True)
_VIEWER = bindparam("viewer_id")
_SINCE = bindparam("since")


def _viewer_args(user: Any, **values: Any) -> dict[str, Any]:
    return {"viewer_id": getattr(user, "id", None), **values}


def _grouped(rows: Iterable[Any], key: str) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return groups


# -- bugs -------------------------------------------------------------------------------
# The bugs with their catalogue names joined; their people come in a second statement
# (``load_people``): PostgreSQL plans a seven-table join ten times slower than the two.
_BUGS = {viewer: select(Bug).where(Bug.id.in_(_IDS), visibility.bugs_rule(viewer, _VIEWER))
         .options(*(joinedload(relation) for relation in (
             Bug.product, Bug.component, Bug.version, Bug.milestone))).order_by(Bug.id)
         for viewer in visibility.VIEWERS}
# The same with each product's classification (the REST API's bug objects name it).
_BUGS_FULL = {viewer: statement.options(joinedload(Bug.product).joinedload(Product.classification))
              for viewer, statement in _BUGS.items()}
_VISIBLE_IDS = {viewer: select(Bug.id).where(Bug.id.in_(_IDS), visibility.bugs_rule(viewer, _VIEWER))
                for viewer in visibility.VIEWERS}


def bugs_by_id(user: Any, ids: Iterable[int], classification: bool = False) -> dict[int, Bug]:
    """The bugs among ``ids`` that ``user`` may see, with their catalogue names (and
    their products' classifications)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    statements = _BUGS_FULL if classification else _BUGS
    found = db.session.scalars(statements[visibility.bug_viewer(user)],
                               _viewer_args(user, ids=ids)).unique()
    return {bug.id: bug for bug in found}


def visible_ids(user: Any, ids: Iterable[int]) -> set[int]:
    """The ids among ``ids`` of bugs that ``user`` may see."""
    ids = sorted(set(ids))
    if not ids:
        return set()
    return set(db.session.scalars(_VISIBLE_IDS[visibility.bug_viewer(user)],
                                            _viewer_args(user, ids=ids)))


_PEOPLE = select(User).where(User.id.in_(_IDS))


def load_people(bugs: Sequence[Bug]) -> None:
    """Load the reporter, assignee and QA contact of ``bugs`` in one statement (as if
    loaded with the bugs: no history, no further SQL when a page reads them)."""
    relations = ("reporter", "assignee", "qa_contact")
    wanted = {getattr(bug, f"{name}_id" if name != "assignee" else "assignee_id")
              for bug in bugs for name in relations} - {None}
    people = {u.id: u for u in db.session.scalars(_PEOPLE, {"ids": sorted(wanted)})} \
        if wanted else {}
    for bug in bugs:
        set_committed_value(bug, "reporter", people.get(bug.reporter_id))
        set_committed_value(bug, "assignee", people.get(bug.assignee_id))
        set_committed_value(bug, "qa_contact", people.get(bug.qa_contact_id))


_CC = (select(BugCC.bug_id, User).join(User, User.id == BugCC.user_id)
       .where(BugCC.bug_id.in_(_IDS)).order_by(BugCC.bug_id, User.username))


def cc_lists(ids: Iterable[int]) -> dict[int, list[User]]:
    """The users on each bug's CC list, by username."""
    ids = sorted(set(ids))
    lists: dict[int, list[User]] = {i: [] for i in ids}
    if ids:
        for bug_id, user in db.session.execute(_CC, {"ids": ids}):
            lists[bug_id].append(user)
    return lists


# -- comments, attachments, history --------------------------------------------------
def comment_by_number(bug_id: int, number: int) -> Comment | None:
    """Comment ``number`` of bug ``bug_id`` (the caller checks who may see it)."""
    return db.session.scalar(select(Comment).where(Comment.bug_id == bug_id,
                                                   Comment.number == number))


_COMMENTS = {private: select(Comment).where(
    Comment.bug_id.in_(_IDS), Comment.revision > _SINCE,
    visibility.public_unless(Comment.is_private, private))
    .order_by(Comment.bug_id, Comment.number).options(joinedload(Comment.author))
    for private in (True, False)}
_ATTACHMENTS = {private: select(Attachment).where(
    Attachment.bug_id.in_(_IDS), visibility.public_unless(Attachment.is_private, private))
    .order_by(Attachment.bug_id, Attachment.id).options(joinedload(Attachment.uploader))
    for private in (True, False)}
_HISTORY = {private: select(BugChange).where(
    BugChange.bug_id.in_(_IDS), BugChange.revision > _SINCE,
    visibility.public_unless(BugChange.is_private, private))
    .order_by(BugChange.bug_id, BugChange.changed_at, BugChange.id)
    .options(joinedload(BugChange.user)) for private in (True, False)}


def comments_of(user: Any, ids: Iterable[int], since: int | None = None) -> dict[int, list[Comment]]:
    """The comments of each bug that exist for ``user``, oldest first (optionally only
    those saved after revision ``since``). The bugs' own visibility is the caller's."""
    ids = sorted(set(ids))
    rows = db.session.scalars(_COMMENTS[visibility.sees_private(user)], {
        "ids": ids, "since": -1 if since is None else since}).unique() if ids else ()
    return {i: [] for i in ids} | _grouped(rows, "bug_id")


def comment_by_id(comment_id: int) -> Comment | None:
    """Comment ``comment_id`` with its author (the caller checks who may see it)."""
    return db.session.scalar(select(Comment).where(Comment.id == comment_id)
                             .options(joinedload(Comment.author)))


def attachment_by_id(attachment_id: int) -> Attachment | None:
    """Attachment ``attachment_id`` with its uploader (the caller checks who may see it)."""
    return db.session.scalar(select(Attachment).where(Attachment.id == attachment_id)
                             .options(joinedload(Attachment.uploader)))


def comment_counts(user: Any, ids: Iterable[int]) -> dict[int, int]:
    """How many comments of each bug exist for ``user`` (descriptions included)."""
    ids = sorted(set(ids))
    counts = dict.fromkeys(ids, 0)
    if ids:
        counts |= dict(db.session.execute(
            select(Comment.bug_id, func.count()).where(
                Comment.bug_id.in_(ids), visibility.visible_comments_clause(user))
            .group_by(Comment.bug_id)).all())
    return counts


def attachments_of(user: Any, ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """The attachments of each bug that exist for ``user``, oldest first."""
    ids = sorted(set(ids))
    rows = db.session.scalars(_ATTACHMENTS[visibility.sees_private(user)],
                                        {"ids": ids}).unique() if ids else ()
    return {i: [] for i in ids} | _grouped(rows, "bug_id")


def history_rows(user: Any, ids: Iterable[int], since: int | None = None) -> list[BugChange]:
    """The history rows of the bugs ``ids`` that ``user`` may see, oldest first, as
    stored: pass them through ``hide_unseen_references`` before showing them."""
    ids = sorted(set(ids))
    if not ids:
        return []
    return list(db.session.scalars(_HISTORY[visibility.sees_private(user)], {
        "ids": ids, "since": -1 if since is None else since}).unique())


def history_of(user: Any, ids: Iterable[int], since: int | None = None) -> dict[int, list[Any]]:
    """The history rows of each bug that ``user`` may see, oldest first; rows naming
    other bugs keep only the bugs ``user`` may see (a row left with nothing goes)."""
    rows = history_rows(user, ids, since)
    rows = hide_unseen_references(rows, visible_ids(user, referenced_bugs(rows)))
    return {i: [] for i in sorted(set(ids))} | _grouped(rows, "bug_id")


_BUG_REFERENCES = tuple(spec.name for spec in EDITABLE if spec.type in ("bug", "bugs"))


def _ids_in(text: str) -> set[int]:
    return {int(part) for part in text.replace(",", " ").split() if part.isdigit()}


def referenced_bugs(rows: Iterable[BugChange]) -> set[int]:
    """The ids of the bugs that history ``rows`` name (dependencies, duplicates)."""
    return {i for row in rows if row.field in _BUG_REFERENCES
            for i in _ids_in(row.old_value) | _ids_in(row.new_value)}


def _shown(field: str, value: str, seen: set[int]) -> str:
    ids = _ids_in(value)
    if field == "dup_id":
        return value if ids <= seen else ""
    return id_list(ids & seen)


def hide_unseen_references(rows: Iterable[BugChange], seen: set[int]) -> list[Any]:
    """``rows`` with the bug ids the viewer may not see (not in ``seen``) left out of
    their values; a row left with no change goes."""
    kept: list[Any] = []
    for row in rows:
        if row.field in _BUG_REFERENCES:
            old, new = _shown(row.field, row.old_value, seen), _shown(row.field, row.new_value, seen)
            if old == new:
                continue
            if (old, new) != (row.old_value, row.new_value):
                row = _ShownChange(row, old, new)
        kept.append(row)
    return kept


class _ShownChange:
    """A history row as one viewer sees it (some bug ids left out); read-only."""

    def __init__(self, row: BugChange, old: str, new: str):
        self._row, self.old_value, self.new_value = row, old, new

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


# -- relations ------------------------------------------------------------------------
_RELATED = {viewer: select(Bug).where(
    or_(Bug.dup_of_id.in_(_IDS), Bug.id.in_(bindparam("others", expanding=True))),
    visibility.bugs_rule(viewer, _VIEWER)).order_by(Bug.id)
    for viewer in visibility.VIEWERS}


def related_bugs(user: Any, ids: Iterable[int], others: Iterable[int]) -> list[Bug]:
    """In one statement, the visible duplicates of the bugs ``ids`` and the visible
    bugs among ``others`` (their dependencies, originals, bugs their history names)."""
    ids, others = sorted(set(ids)), sorted(set(others))
    if not ids and not others:
        return []
    return list(db.session.scalars(_RELATED[visibility.bug_viewer(user)],
                                             _viewer_args(user, ids=ids or [0], others=others or [0])))


def relations_of(user: Any, bugs: Sequence[Bug], related: dict[int, Related],
                 found: Sequence[Bug]) -> dict[int, dict[str, list[Bug]]]:
    """For each bug, its visible "dependson", "blocked" and "duplicates" bugs, from
    ``found`` (what ``related_bugs`` returned)."""
    seen = {b.id: b for b in found}
    out = {}
    for bug in bugs:
        lists = related.get(bug.id, {"dependson": frozenset(), "blocked": frozenset()})
        out[bug.id] = {name: [seen[i] for i in sorted(lists[name]) if i in seen]
                       for name in ("dependson", "blocked")}
        out[bug.id]["duplicates"] = [b for b in found if b.dup_of_id == bug.id]
    return out


# -- what a user may do with a bug (read-only helpers for pages and the API) ------------
def editable_fields(user: Any, bug: Bug) -> set[str]:
    """The fields of ``bug`` that ``user`` may change (the page renders only these)."""
    fields = {spec.name for spec in EDITABLE if spec.permission is not None and permissions.can(
        user, spec.permission, bug if spec.own_bug_ok else None)}
    moves = workflow.allowed_transitions(user, bug)
    if moves:
        fields.add("bug_status")
    if any(t.needs_resolution for t in moves) or (
            not workflow.is_open(bug.status) and permissions.can(user, permissions.BUG_STATUS)):
        fields |= {"resolution", "dup_id"}
    return fields


def status_choices(user: Any, bug: Bug) -> list[str]:
    """The current status followed by the ones ``user`` may move ``bug`` to."""
    return [bug.status] + [t.new for t in workflow.allowed_transitions(user, bug)]
