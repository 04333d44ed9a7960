"""JSON objects of the REST API, in Bugzilla 5's shapes, for many bugs at a time.

Plain functions over the field table (``bugzot.fields``) and the read side's batch
loaders, rather than marshmallow schemas: a bug's fields, their API names and types are
already described once in the field table, and what a caller may see is decided by
``visibility`` through the loaders; a schema library would restate both. Every loader
runs one statement for all the bugs of a response (no N+1); references to bugs the
caller may not see (``depends_on``, ``blocks``, ``dupe_of``) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bugzot import workflow
from bugzot.fields import FIELDS, dependency_lists
from bugzot.models import Attachment, Bug, BugChange, Comment, User
from bugzot.services.read import bugs as read

TIME = "%Y-%m-%dT%H:%M:%SZ"
# Fields Bugzilla always has that BugZot keeps empty (no aliases, keywords, groups...).
EMPTY_LISTS = ("alias", "keywords", "groups", "see_also", "flags")
EMPTY_STRINGS = ("url", "whiteboard")
DETAILS = {"assigned_to_detail": "assigned_to", "creator_detail": "reporter",
           "qa_contact_detail": "qa_contact"}
EXTRA = ("cc", "cc_detail", "classification", "is_open", "is_confirmed", "is_cc_accessible",
         "is_creator_accessible", "deadline", "revision", "comments", *EMPTY_LISTS,
         *EMPTY_STRINGS, *DETAILS)
ALL_BUG_FIELDS: tuple[str, ...] = (*(spec.api for spec in FIELDS), *EXTRA)
# What ``include_fields`` may name beyond the fields: Bugzilla's shortcuts.
DEFAULT_SET = "_default"
ALL_SET = "_all"


def when(moment: datetime | None) -> str | None:
    """A datetime as Bugzilla writes it: UTC, whole seconds."""
    return moment.strftime(TIME) if moment is not None else None


def login(user: User | None) -> str:
    """A user's Bugzilla login name: their email address ("" for nobody)."""
    return user.email if user is not None else ""


def user_object(user: User, full: bool = True) -> dict[str, Any]:
    """``{id, name, email, real_name}`` (and ``can_login`` in user searches)."""
    out = {"id": user.id, "name": user.email, "email": user.email,
           "real_name": user.real_name or user.username}
    if full:
        out["can_login"] = bool(user.is_active)
        out["login_name"] = user.username
    return out


def wanted(include: Sequence[str] | None, exclude: Sequence[str] | None) -> set[str]:
    """The top-level bug fields to send (``id`` always)."""
    names = set(include or ()) or {DEFAULT_SET}
    if DEFAULT_SET in names or ALL_SET in names:
        names |= set(ALL_BUG_FIELDS) - ({"comments"} if ALL_SET not in names else set())
    names = {n for n in names if n in ALL_BUG_FIELDS} - set(exclude or ())
    return names | {"id"}


def _value(spec, value: Any, seen: set[int]) -> Any:
    if spec.type == "user":
        return login(value)
    if spec.type == "bugs":
        return sorted(i for i in value if i in seen)
    if spec.type == "bug":
        return value if value in seen else None
    if spec.type == "time":
        return when(value)
    if spec.type in ("int", "bool"):
        return value
    return "" if value is None else value


def bugs(caller: Any, found: Sequence[Bug], include: set[str]) -> list[dict[str, Any]]:
    """The bug objects of ``found`` (bugs ``caller`` may see) with the ``include`` fields."""
    ids = [b.id for b in found]
    read.load_people(found)
    related = dependency_lists(ids) if include & {"depends_on", "blocks"} else {}
    referenced = {i for r in related.values() for i in r["dependson"] | r["blocked"]}
    referenced |= {b.dup_of_id for b in found if b.dup_of_id and "dupe_of" in include}
    seen = read.visible_ids(caller, referenced)
    cc = read.cc_lists(ids) if include & {"cc", "cc_detail"} else {}
    comments = read.comments_of(caller, ids) if "comments" in include else {}
    out = []
    for bug in found:
        values = {"dependson": frozenset(), "blocked": frozenset()} | related.get(bug.id, {})
        obj = {spec.api: _value(spec, spec.read(bug, values), seen)
               for spec in FIELDS if spec.api in include}
        out.append(obj | _extra(bug, include, cc.get(bug.id, []), comments.get(bug.id)))
    return out


def _extra(bug: Bug, include: set[str], cc: list[User], comments: list[Comment] | None
           ) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for name in EMPTY_LISTS:
        extra[name] = []
    for name in EMPTY_STRINGS:
        extra[name] = ""
    extra.update({
        "cc": [login(u) for u in cc], "cc_detail": [user_object(u, False) for u in cc],
        "classification": bug.product.classification.name,
        "is_open": workflow.is_open(bug.status), "is_confirmed": bug.status != "UNCONFIRMED",
        "is_cc_accessible": True, "is_creator_accessible": True, "deadline": None,
        "revision": bug.revision,
    })
    for name, relation in DETAILS.items():
        person = getattr(bug, relation if relation != "assigned_to" else "assignee")
        extra[name] = user_object(person, False) if person is not None else None
    if comments is not None:
        extra["comments"] = [comment(c) for c in comments]
    return {k: v for k, v in extra.items() if k in include}


def comment(c: Comment, readable: bool = True) -> dict[str, Any]:
    """A comment object. ``count`` is the comment's number on its bug (0: the
    description), the same number the bug page shows; ``text`` is empty for a comment a
    moderator hid (unless ``readable``)."""
    return {"id": c.id, "bug_id": c.bug_id, "count": c.number,
            "text": c.body if readable else "", "creator": login(c.author),
            "author": login(c.author), "time": when(c.created_at),
            "creation_time": when(c.created_at), "is_private": c.is_private,
            "attachment_id": c.attachment_id, "tags": []}


def attachment(a: Attachment, data: str | None = None) -> dict[str, Any]:
    """An attachment object (``data``: base64 content, when asked for)."""
    out = {"id": a.id, "bug_id": a.bug_id, "file_name": a.filename, "summary": a.description,
           "description": a.description, "content_type": a.content_type, "size": a.size,
           "creation_time": when(a.created_at), "last_change_time": when(a.created_at),
           "creator": login(a.uploader), "attacher": login(a.uploader),
           "is_private": a.is_private, "is_obsolete": a.is_obsolete, "is_patch": a.is_patch,
           "flags": []}
    if data is not None:
        out["data"] = data
    return out


def history(rows: Iterable[Any], labels: dict[str, str]) -> list[dict[str, Any]]:
    """History rows grouped per save (who, when), Bugzilla's ``history`` list."""
    grouped: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row.revision, row.user_id)
        entry = grouped.setdefault(key, {"when": when(row.changed_at), "who": login(row.user),
                                         "changes": []})
        change = {"field_name": _history_field(row), "removed": row.old_value,
                  "added": row.new_value}
        if row.attachment_id:
            change["attachment_id"] = row.attachment_id
        entry["changes"].append(change)
    return list(grouped.values())


_API_NAMES = {spec.name: spec.api for spec in FIELDS}


def _history_field(row: BugChange) -> str:
    if row.field.startswith("attachment."):
        return "attachments." + row.field.split(".", 1)[1]
    return _API_NAMES.get(row.field, row.field)
