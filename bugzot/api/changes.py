"""Bugzilla's create and update bodies, read into the services' typed commands.

Field names and types come from the field table (``BY_API``): people are found by
login (email or username), ``depends_on``/``blocks``/``cc`` take ``{add, remove, set}``
or a plain list, ``dupe_of`` an id. What Bugzilla has and BugZot does not (aliases,
keywords, groups, flags, URLs, whiteboards) is refused by name, never dropped silently.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from bugzot.api.errors import EMPTY_ATTACHMENT, ILLEGAL_VALUE, INVALID_USER, ApiError
from bugzot.api.params import as_id, flag, string_list, text
from bugzot.fields import BY_API
from bugzot.models import User
from bugzot.services.commands import BugEdit, NewBug, NewComment, SetEdit, Upload
from bugzot.services.read.users import users_by_login

# Bugzilla fields BugZot does not have: given with a value, they are an error.
UNSUPPORTED = ("alias", "keywords", "groups", "see_also", "flags", "url", "whiteboard",
               "deadline", "estimated_time", "remaining_time", "work_time")
# Keys of an update body that are not fields.
UPDATE_CONTROL = ("ids", "comment", "last_change_time", "revision", "cc",
                  "reset_assigned_to", "reset_qa_contact", "minor_update", "comment_tags")
SET_FIELDS = ("depends_on", "blocks")


def people(names: list[str], field: str) -> list[User]:
    """The users called ``names`` (login or username); an unknown one is code 504."""
    found = users_by_login(names)
    for name in names:
        if name.lower() not in found:
            raise ApiError(INVALID_USER, f"There is no user named {name!r} ({field}).")
    return [found[n.lower()] for n in names]


def person(value: Any, field: str) -> User | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ApiError(ILLEGAL_VALUE, f"{field!r} must be a login name.")
    return people([value], field)[0]


def _refuse_unsupported(data: dict[str, Any]) -> None:
    for name in UNSUPPORTED:
        value = data.get(name)
        if value not in (None, "", [], {}) and not (isinstance(value, dict) and not any(
                value.get(k) for k in ("add", "remove", "set"))):
            raise ApiError(ILLEGAL_VALUE, f"BugZot has no {name!r} field.")


def _id_set(value: Any, field: str) -> SetEdit[int] | frozenset[int]:
    if isinstance(value, dict):
        unknown = set(value) - {"add", "remove", "set"}
        if unknown:
            raise ApiError(ILLEGAL_VALUE, f"{field!r} takes add, remove or set, not "
                                          f"{', '.join(sorted(unknown))}.")
        return SetEdit(add=frozenset(as_id(v, field) for v in _list(value.get("add"), field)),
                       remove=frozenset(as_id(v, field) for v in _list(value.get("remove"), field)),
                       set=(frozenset(as_id(v, field) for v in _list(value["set"], field))
                            if "set" in value else None))
    return frozenset(as_id(v, field) for v in _list(value, field))


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, list):
        raise ApiError(ILLEGAL_VALUE, f"{field!r} must be a list.")
    return value


def _field_value(spec, value: Any) -> Any:
    """A body value as the typed value the field table's ``spec`` takes."""
    if spec.type == "user":
        return person(value, spec.api)
    if spec.type == "bugs":
        return _id_set(value, spec.api)
    if spec.type == "bug":
        return None if value in (None, "", 0) else as_id(value, spec.api)
    if spec.type == "bool":
        return flag({spec.api: value}, spec.api)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ApiError(ILLEGAL_VALUE, f"{spec.api!r} must be a string.")
    return str(value)


# -- create ---------------------------------------------------------------------------
def new_bug(data: dict[str, Any]) -> NewBug:
    """``POST /rest/bug`` as a ``NewBug``."""
    _refuse_unsupported(data)
    for name in ("product", "component", "summary"):
        text(data, name, required=True)
    values = {name: text(data, name) for name in ("version", "severity", "priority",
                                                  "op_sys", "platform")}
    cc = people(string_list(data.get("cc", []), "cc"), "cc")
    links = {api: _id_set(data.get(api), api) for api in ("depends_on", "blocks")}
    if any(isinstance(v, SetEdit) for v in links.values()):
        raise ApiError(ILLEGAL_VALUE, "A new bug's depends_on and blocks are plain lists.")
    return NewBug(
        product=text(data, "product"), component=text(data, "component"),
        summary=text(data, "summary"), description=text(data, "description", "") or "",
        cc=frozenset(cc), is_private=flag(data, "is_private")
        or flag(data, "comment_is_private"),
        assignee=person(data.get("assigned_to"), "assigned_to"),
        qa_contact=person(data.get("qa_contact"), "qa_contact"),
        target_milestone=text(data, "target_milestone", "") or "",
        dependson=links["depends_on"], blocked=links["blocks"],
        **{k: v for k, v in values.items() if v is not None})


# -- update ---------------------------------------------------------------------------
def bug_edit(data: dict[str, Any], revision: int | None) -> BugEdit:
    """``PUT /rest/bug/<id>`` as a ``BugEdit`` (``revision``: the mid-air check's)."""
    _refuse_unsupported(data)
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key in UPDATE_CONTROL or key in UNSUPPORTED or key == "comment_is_private":
            continue
        spec = BY_API.get(key)
        if spec is None or not spec.editable:
            raise ApiError(ILLEGAL_VALUE, f"There is no field {key!r} that can be changed.")
        fields[spec.name] = _field_value(spec, value)
    if flag(data, "reset_assigned_to"):
        fields["assigned_to"] = None
    if flag(data, "reset_qa_contact"):
        fields["qa_contact"] = None
    if "dup_id" in fields and fields["dup_id"] is not None and "resolution" not in fields:
        fields["resolution"] = "DUPLICATE"  # Bugzilla: naming an original resolves as one
    return BugEdit(revision, fields, cc=_cc(data.get("cc")), comment=_comment(data),
                   route=True)


def _cc(value: Any) -> SetEdit[User]:
    if value is None:
        return SetEdit()
    if not isinstance(value, dict):
        raise ApiError(ILLEGAL_VALUE, "'cc' takes {\"add\": [...], \"remove\": [...]}.")
    return SetEdit(add=frozenset(people(string_list(value.get("add", []), "cc"), "cc")),
                   remove=frozenset(people(string_list(value.get("remove", []), "cc"), "cc")))


def _comment(data: dict[str, Any]) -> NewComment | None:
    value = data.get("comment")
    if value in (None, "", {}):
        return None
    if isinstance(value, str):
        return NewComment(value, flag(data, "comment_is_private"))
    if not isinstance(value, dict):
        raise ApiError(ILLEGAL_VALUE, "'comment' takes {\"comment\": TEXT, \"is_private\": BOOL}.")
    body = text(value, "comment") or text(value, "body") or ""
    return NewComment(body, flag(value, "is_private")) if body.strip() else None


# -- attachments ------------------------------------------------------------------------
def upload(data: dict[str, Any]) -> Upload:
    """``POST /rest/bug/<id>/attachment`` as an ``Upload`` (``data`` is base64)."""
    encoded = text(data, "data", required=True)
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(ILLEGAL_VALUE, "'data' must be base64.") from None
    if not content:
        raise ApiError(EMPTY_ATTACHMENT, "You must attach a file that is not empty.")
    filename = text(data, "file_name", required=True)
    return Upload(filename, io.BytesIO(content), description=text(data, "summary", "") or "",
                  is_patch=flag(data, "is_patch"), is_private=flag(data, "is_private"),
                  comment=text(data, "comment", "") or "")

