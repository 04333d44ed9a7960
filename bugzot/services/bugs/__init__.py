"""Bugs: filing, and the one edit that changes fields, status, CC, dependencies
and adds a comment in a single transaction with a history row per changed field.

Field values go in and out as the strings forms post and history records
(Bugzilla's field names: ``product``, ``component``, ``assigned_to``, ...), so a
history row's old value is exactly what a form showed before the change; the
mid-air page relies on that (``values_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from bugzot import permissions, workflow
from bugzot.extensions import db
from bugzot.models import (
    Bug,
    BugCC,
    BugChange,
    Comment,
    Component,
    Milestone,
    Product,
    User,
    Version,
    utcnow,
)
from bugzot.services import Forbidden, ServiceError, unit_of_work
from bugzot.services.bugs.fields import (
    EDITABLE_FIELDS,
    FieldError,
    apply_field,
    bump,
    current_values,
    find_component,
    find_product,
    find_user,
    find_version,
    one_save,
    parse_usernames,
)
from bugzot.services.bugs.relations import (
    apply_dependencies,
    check_duplicate_target,
    record_duplicate,
)

MAX_COMMENT = 65535


class MidAirCollision(ServiceError):
    """Someone saved the bug after the user loaded it; nothing was written."""

    def __init__(self, bug: Bug, loaded_revision: int):
        super().__init__("Someone else changed this bug after you loaded it. Nothing was saved: "
                         "review their changes and submit again.", status=409)
        self.bug = bug
        self.loaded_revision = loaded_revision


@dataclass
class Update:
    """What ``update_bug`` saved: the history rows and the new comment (if any)."""

    changes: list[BugChange] = field(default_factory=list)
    comment: Comment | None = None


# -- filing ------------------------------------------------------------------------
def file_bug(
    reporter: Any,
    *,
    product: str,
    component: str,
    version: str = "",
    severity: str = workflow.DEFAULT_SEVERITY,
    priority: str = workflow.DEFAULT_PRIORITY,
    platform: str = "All",
    op_sys: str = "All",
    summary: str,
    description: str = "",
    cc: str = "",
    is_private: bool = False,
    upload: FileStorage | None = None,
    attachment_description: str = "",
    status: str | None = None,
) -> Bug:
    """File a new bug (with its description as comment 0 and an optional first attachment).

    ``status`` is for imports and tests; normal filing gets ``workflow.initial_status``.
    """
    from bugzot.services import attachments

    if not permissions.can(reporter, permissions.BUG_CREATE):
        raise Forbidden("You may not file bugs.")
    try:
        prod = find_product(product)
        if not prod.is_active:
            raise FieldError(f"The product {prod.name!r} is closed for new bugs.", "product")
        comp = find_component(prod, component)
        ver = find_version(prod, version) if version or prod.versions else None
        values = {"severity": severity, "priority": priority, "platform": platform,
                  "op_sys": op_sys}
        for name, value in values.items():
            if value not in EDITABLE_FIELDS[name].choices:
                raise FieldError(f"Choose a valid {EDITABLE_FIELDS[name].label.lower()}.", name)
        summary = _check_summary(summary)
        cc_users = [find_user(name, "cc") for name in parse_usernames(cc)]
    except FieldError as exc:
        raise ServiceError(exc.message, exc.field) from None
    if len(description) > MAX_COMMENT:
        raise ServiceError(f"The description is longer than {MAX_COMMENT} characters.", "description")
    if any(u.id != reporter.id for u in cc_users) and not permissions.can(
            reporter, permissions.BUG_CC_OTHERS):
        raise Forbidden("You may only add yourself to the CC list.", "cc")
    if is_private and not permissions.can(reporter, permissions.BUG_PRIVATE):
        raise Forbidden("You may not file private bugs.", "is_private")
    if status is None:
        status = workflow.initial_status(reporter, prod)
    elif status not in workflow.OPEN_STATUSES:
        raise ServiceError("New bugs start in an open status.", "status")

    def create() -> Bug:
        now = utcnow()
        bug = Bug(product=prod, component=comp, version=ver, summary=summary, status=status,
                  severity=severity, priority=priority, platform=platform, op_sys=op_sys,
                  reporter_id=reporter.id, assignee_id=comp.default_assignee_id,
                  qa_contact_id=comp.default_qa_contact_id, is_private=is_private,
                  created_at=now, updated_at=now)
        db.session.add(bug)
        db.session.flush()
        db.session.add(Comment(bug_id=bug.id, number=0, author_id=reporter.id,
                               body=description.strip(), created_at=now, revision=bug.revision))
        for user in {u.id: u for u in cc_users}.values():
            db.session.add(BugCC(bug_id=bug.id, user_id=user.id))
        return bug

    if upload is not None and upload.filename:
        return attachments.file_with_attachment(reporter, create, upload,
                                                attachment_description or upload.filename)
    with unit_of_work():
        bug = create()
    return bug


def _check_summary(summary: str | None) -> str:
    summary = " ".join((summary or "").split())
    if not summary:
        raise FieldError("Please enter a summary.", "summary")
    if len(summary) > 255:
        raise FieldError("The summary is at most 255 characters.", "summary")
    return summary


# -- editing -----------------------------------------------------------------------
def update_bug(
    user: Any,
    bug: Bug,
    values: Mapping[str, str | None],
    *,
    revision: int,
    comment: str = "",
    comment_private: bool = False,
    add_self_cc: bool = False,
    cc_add: str = "",
    cc_remove: tuple[str, ...] | list[str] = (),
) -> Update:
    """Apply the bug page's form in one transaction: fields, status, CC, comment.

    ``values`` maps field names to posted strings; ``None`` or a missing key means
    "not on the form" (fields the user may not edit are not rendered). ``revision``
    is the one the page was loaded with; a different current one raises
    ``MidAirCollision`` and nothing is written.
    """
    if not getattr(user, "is_authenticated", False):
        raise Forbidden("Log in to change bugs.")
    if revision != bug.revision:
        raise MidAirCollision(bug, revision)
    comment = (comment or "").strip()
    if comment and not permissions.can(user, permissions.BUG_COMMENT):
        raise Forbidden("You may not comment on bugs.", "comment")
    if comment_private and not permissions.can(user, permissions.BUG_PRIVATE):
        raise Forbidden("You may not write private comments.", "is_private")
    if len(comment) > MAX_COMMENT:
        raise ServiceError(f"Comments are at most {MAX_COMMENT} characters.", "comment")

    result = Update()
    try:
        with unit_of_work():
            new_revision = bump(bug)
            old = current_values(bug)
            wanted = {k: _normal(k, v) for k, v in values.items() if k in old and v is not None}
            changed = {k: v for k, v in wanted.items() if v != old[k]}
            _check_permissions(user, bug, changed)
            _check_status(user, bug, old, changed, wanted, bool(comment))
            for name in EDITABLE_FIELDS:  # table order: product before component/version
                if name in changed:
                    apply_field(bug, name, changed, wanted)
            if "dup_id" in changed or wanted.get("resolution") == workflow.DUPLICATE:
                if bug.resolution == workflow.DUPLICATE:
                    check_duplicate_target(user, bug, wanted.get("dup_id") or old["dup_id"])
                elif changed.get("dup_id"):
                    raise ServiceError("Only bugs resolved as DUPLICATE name a duplicate.", "dup_id")
            apply_dependencies(user, bug, changed)
            new = current_values(bug)
            for name, before in old.items():
                if new[name] != before:
                    result.changes.append(_change(bug, user, name, before, new[name], new_revision))
            result.changes += _apply_cc(user, bug, add_self_cc, cc_add, cc_remove, new_revision)
            if comment:
                result.comment = add_comment_row(bug, user, comment, comment_private, new_revision)
            if not result.changes and result.comment is None:
                raise ServiceError("Nothing was changed.")
            if new["dup_id"] and new["dup_id"] != old["dup_id"]:
                record_duplicate(user, bug, int(new["dup_id"]))
            db.session.add_all(result.changes)
            db.session.flush()
    except StaleDataError:
        db.session.expire_all()
        raise MidAirCollision(bug, revision) from None
    except FieldError as exc:
        raise ServiceError(exc.message, exc.field) from None
    return result


def _normal(name: str, value: str) -> str:
    """The comparable form of a posted value (whitespace, list order)."""
    value = value.strip()
    if name in ("dependson", "blocked"):
        ids = sorted({int(x) for x in value.replace(",", " ").split() if x.isdigit()})
        if any(not x.isdigit() for x in value.replace(",", " ").split()):
            raise ServiceError("List bug numbers separated by commas.", name)
        return ", ".join(str(i) for i in ids)
    if name == "summary":
        return " ".join(value.split())
    if name in ("assigned_to", "qa_contact"):
        return value.lower()
    return value


def _check_permissions(user: Any, bug: Bug, changed: Mapping[str, str]) -> None:
    for name in changed:
        spec = EDITABLE_FIELDS[name]
        if spec.permission is None:
            continue  # status and resolution: the workflow decides
        obj = bug if spec.own_bug_ok else None
        if not permissions.can(user, spec.permission, obj):
            raise Forbidden(f"You may not change the {spec.label.lower()} of this bug.", name)


def _check_status(user: Any, bug: Bug, old: Mapping[str, str], changed: Mapping[str, str],
                  wanted: Mapping[str, str], has_comment: bool) -> None:
    """Refuse status/resolution changes the workflow or the user's permissions forbid."""
    new_status = changed.get("bug_status", old["bug_status"])
    resolution = wanted.get("resolution", old["resolution"])
    if "bug_status" in changed:
        row = workflow.transition(old["bug_status"], new_status)
        if row is None:
            raise ServiceError(f"A bug cannot go from {old['bug_status']} to {new_status}.",
                               "bug_status")
        if not workflow.may_take(user, bug, row):
            raise Forbidden(f"You may not change the status from {row.old} to {row.new}.",
                            "bug_status")
        if row.needs_comment and not has_comment:
            raise ServiceError(f"Please say why in a comment when moving a bug to {row.new}.",
                               "comment")
        if row.needs_resolution and resolution not in workflow.RESOLUTIONS:
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


def _apply_cc(user: Any, bug: Bug, add_self: bool, cc_add: str, cc_remove, revision: int
              ) -> list[BugChange]:
    """Add/remove CC entries; only holders of bug.cc_others touch other people."""
    current = {u.username: u for u in cc_users(bug)}
    add = [find_user(n, "newcc") for n in parse_usernames(cc_add)]
    if add_self and getattr(user, "is_authenticated", False):
        add.append(user)
    remove = [n.strip().lower() for n in cc_remove if n.strip()]
    others = [u.username for u in add if u.id != user.id] + [n for n in remove if n != user.username]
    if others and not permissions.can(user, permissions.BUG_CC_OTHERS):
        raise Forbidden("You may only add or remove yourself on the CC list.", "newcc")
    added = sorted({u.username for u in add if u.username not in current})
    removed = sorted({n for n in remove if n in current} - set(added))
    for name in added:
        db.session.add(BugCC(bug_id=bug.id, user_id=next(u.id for u in add if u.username == name)))
    for name in removed:
        db.session.delete(db.session.get(BugCC, (bug.id, current[name].id)))
    if not added and not removed:
        return []
    return [_change(bug, user, "cc", ", ".join(removed), ", ".join(added), revision)]


def _change(bug: Bug, user: Any, name: str, old: str, new: str, revision: int, **kw: Any
            ) -> BugChange:
    return BugChange(bug_id=bug.id, user_id=user.id, field=name, old_value=old, new_value=new,
                     revision=revision, changed_at=utcnow(), **kw)


def add_comment_row(bug: Bug, user: Any, body: str, private: bool, revision: int, **kw: Any
                 ) -> Comment:
    """Append a comment with the next number (inside the caller's unit of work)."""
    number = db.session.scalar(select(func.coalesce(func.max(Comment.number), -1))
                               .where(Comment.bug_id == bug.id)) + 1
    comment = Comment(bug_id=bug.id, number=number, author_id=user.id, body=body,
                      is_private=private, revision=revision, created_at=utcnow(), **kw)
    db.session.add(comment)
    return comment


# -- comments ----------------------------------------------------------------------
def set_comment_hidden(user: Any, comment: Comment, hidden: bool) -> None:
    """Hide or unhide a comment (admins); the change is recorded in the bug's history."""
    if not permissions.can(user, permissions.COMMENT_HIDE) or not user.is_authenticated:
        raise Forbidden("You may not hide comments.")
    if comment.is_hidden == hidden:
        return
    bug = db.session.get(Bug, comment.bug_id)
    with one_save(bug.id), unit_of_work():
        revision = bump(bug)
        db.session.add(_change(bug, user, "comment_hidden", str(int(comment.is_hidden)),
                               str(int(hidden)), revision, comment_id=comment.id,
                               is_private=comment.is_private))
        comment.is_hidden = hidden


# -- mid-air support ------------------------------------------------------------------
def values_at(bug: Bug, revision: int) -> dict[str, str]:
    """The bug's form values as they were at ``revision`` (undoing later history rows)."""
    values = current_values(bug)
    later = db.session.scalars(
        select(BugChange).where(BugChange.bug_id == bug.id, BugChange.revision > revision)
        .order_by(BugChange.revision.desc(), BugChange.id.desc()))
    for row in later:
        if row.field in values:
            values[row.field] = row.old_value
    return values


def products_for_filing() -> list[Product]:
    """Active products with at least one active component, by name."""
    return [p for p in db.session.scalars(select(Product).where(Product.is_active)
                                          .order_by(Product.name))
            if any(c.is_active for c in p.components)]


# -- what the page offers (read-only helpers) ----------------------------------------
def editable_fields(user: Any, bug: Bug) -> set[str]:
    """The form fields of the bug page ``user`` may change (the others are not rendered)."""
    fields = set()
    for name, spec in EDITABLE_FIELDS.items():
        if spec.permission is not None and permissions.can(
                user, spec.permission, bug if spec.own_bug_ok else None):
            fields.add(name)
    moves = workflow.allowed_transitions(user, bug)
    if moves:
        fields.add("bug_status")
    if any(t.needs_resolution for t in moves) or (
            not workflow.is_open(bug.status) and permissions.can(user, permissions.BUG_STATUS)):
        fields |= {"resolution", "dup_id"}
    return fields


# Read statements of the bug page, built once (building and caching a statement per
# call costs more Python time than running it); values go in as bound parameters.
_PEOPLE = select(User).where(User.id.in_(bindparam("ids", expanding=True)))
_NAMES = union_all(
    select(literal("component").label("kind"), Component.name.label("name"),
           Component.is_active.label("active"), literal(0).label("sortkey"))
    .where(Component.product_id == bindparam("product_id")),
    select(literal("version"), Version.value, Version.is_active, literal(0))
    .where(Version.product_id == bindparam("product_id")),
    select(literal("milestone"), Milestone.value, Milestone.is_active, Milestone.sortkey)
    .where(Milestone.product_id == bindparam("product_id")),
    select(literal("product"), Product.name, Product.is_active, literal(0)),
).subquery()
_CATALOGUE = select(_NAMES).order_by(_NAMES.c.kind, _NAMES.c.sortkey, _NAMES.c.name)
_CC = (select(User).join(BugCC, BugCC.user_id == User.id)
       .where(BugCC.bug_id == bindparam("bug_id")).order_by(User.username))


def load_people(bug: Bug) -> None:
    """Load ``bug``'s reporter, assignee and QA contact in one query (as if they had
    been loaded with the bug: no history, no further SQL when the page reads them)."""
    ids = {"reporter": bug.reporter_id, "assignee": bug.assignee_id,
           "qa_contact": bug.qa_contact_id}
    people = {user.id: user for user in db.session.scalars(
        _PEOPLE, {"ids": sorted(set(ids.values()) - {None})})}
    for relation, user_id in ids.items():
        set_committed_value(bug, relation, people.get(user_id))


def catalogue_names(product_id: int) -> dict[str, list[tuple[str, bool]]]:
    """(name, is_active) of every product and of one product's components, versions
    and milestones, in display order, in one query: ``{"product": [...], ...}``."""
    names: dict[str, list[tuple[str, bool]]] = {
        "product": [], "component": [], "version": [], "milestone": []}
    for kind, name, active, _ in db.session.execute(_CATALOGUE, {"product_id": product_id}):
        names[kind].append((name, active))
    return names


def status_choices(user: Any, bug: Bug) -> list[str]:
    """The current status followed by the ones ``user`` may move ``bug`` to."""
    return [bug.status] + [t.new for t in workflow.allowed_transitions(user, bug)]


def merge_after_conflict(bug: Bug, loaded_revision: int, posted: Mapping[str, str]) -> dict[str, str]:
    """Form values for resubmitting after a mid-air collision.

    Fields the user changed keep the user's value; the others take the current
    value, so resubmitting does not undo what the other person saved.
    """
    before = values_at(bug, loaded_revision)
    now = current_values(bug)
    merged = {}
    for name, value in posted.items():
        if name in now:
            try:
                mine = _normal(name, value) != before[name]
            except ServiceError:
                mine = True  # unparsable: certainly typed by the user
            merged[name] = value if mine else now[name]
    return merged


def cc_users(bug: Bug) -> list[User]:
    """The users on ``bug``'s CC list, by username."""
    return list(db.session.scalars(_CC, {"bug_id": bug.id}))
