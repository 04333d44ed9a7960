"""``/rest/bug``: search, get, create and update bugs (Bugzilla 5's shapes).

Each endpoint reads its input into the services' typed commands (``api.changes``) or
search criteria, calls the services or the read side, and writes the answer with
``api.serializers``. Permissions and visibility are the services' and ``visibility``'s;
nothing here decides them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, jsonify

from bugzot.api import changes, serializers
from bugzot.api.auth import caller
from bugzot.api.blueprint import bp
from bugzot.api.errors import (
    ILLEGAL_VALUE,
    INVALID_BUG,
    LOGIN_REQUIRED,
    MID_AIR,
    ApiError,
)
from bugzot.api.params import arg, arg_list, as_id, body, ids_arg, int_arg
from bugzot.fields import HISTORY_LABELS
from bugzot.search.api import Criteria, find_ids
from bugzot.search.params import SearchError
from bugzot.services import bugs as bug_service
from bugzot.services.read import bugs as read

# Bugzilla's search parameters -> the bug list's filter names.
LIST_FILTERS = {"product": "product", "component": "component", "version": "version",
                "bug_status": "status", "status": "status", "resolution": "resolution",
                "bug_severity": "severity", "severity": "severity", "priority": "priority",
                "assigned_to": "assignee", "reporter": "reporter", "creator": "reporter",
                "cc": "cc"}
PEOPLE = ("assignee", "reporter", "cc")


def _include() -> set[str]:
    return serializers.wanted(arg_list("include_fields"), arg_list("exclude_fields"))


def _visible(ids: list[int]) -> list:
    found = read.bugs_by_id(caller(), ids, classification=True)
    return [found[i] for i in ids if i in found]


@bp.get("/bug")
def search():
    """Bugs matching Bugzilla's search parameters (``limit``/``offset`` pages, id order)."""
    list_filters = {}
    for name, key in LIST_FILTERS.items():
        values = arg_list(name)
        if values:
            values = tuple(v.lower() for v in values) if key in PEOPLE else values
            list_filters[key] = list_filters.get(key, ()) + values
    since = arg("last_change_time") or arg("changed_since")
    criteria = Criteria(
        ids=ids_arg("id") + ids_arg("bug_id"), list_filters=list_filters,
        milestones=arg_list("target_milestone"), qa_contacts=arg_list("qa_contact"),
        platforms=arg_list("platform") + arg_list("rep_platform"), op_syses=arg_list("op_sys"),
        summary=tuple(" ".join(arg_list("short_desc") + arg_list("summary")).split()),
        comment_words=" ".join(arg_list("longdesc")),
        changed_since=moment_arg(since) if since else None)
    most = current_app.config["API_MAX_BUGS"]
    limit = int_arg("limit", most, 0, most) or most
    try:
        ids = find_ids(caller(), criteria, limit, int_arg("offset", 0, 0, 2**31 - 1))
    except SearchError as exc:
        raise ApiError(ILLEGAL_VALUE, exc.message) from None
    return jsonify(bugs=serializers.bugs(caller(), _visible(ids), _include()))


def moment_arg(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(ILLEGAL_VALUE, f"{text[:40]!r} is not a date and time "
                                      "(YYYY-MM-DDTHH:MM:SSZ).") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def bug_or_404(id_or_alias: str) -> Any:
    """The bug ``id_or_alias`` names if the caller may see it, else error 101 (404)."""
    if not id_or_alias.isdigit():
        raise ApiError(INVALID_BUG, f"Bug {id_or_alias[:40]!r} does not exist (BugZot has no "
                                    "aliases: use the bug's number).")
    bug_id = as_id(id_or_alias, "id")
    found = _visible([bug_id])
    if not found:
        raise ApiError(INVALID_BUG, f"Bug #{bug_id} does not exist or you may not see it.")
    return found[0]


@bp.get("/bug/<id_or_alias>")
def get(id_or_alias: str):
    """One bug (``ids=`` may ask for more; the answer lists each one)."""
    ids = [bug_or_404(id_or_alias).id, *ids_arg("ids")]
    found = _visible(list(dict.fromkeys(ids)))
    return jsonify(bugs=serializers.bugs(caller(), found, _include()), faults=[])


@bp.post("/bug")
def create():
    """File a bug; answers ``{"id": N}``."""
    user = _logged_in()
    bug = bug_service.file_bug(user, changes.new_bug(body()))
    return jsonify(id=bug.id)


@bp.put("/bug/<id_or_alias>")
def update(id_or_alias: str):
    """Change one or more bugs in one transaction. ``last_change_time`` (Bugzilla's name)
    or ``revision`` protects against mid-air collisions: a bug changed since is an error
    naming what changed, and nothing is saved."""
    user = _logged_in()
    data = body()
    ids = [bug_or_404(id_or_alias).id]
    for value in data.get("ids") or []:
        bug_id = as_id(value, "ids")
        if bug_id not in ids:
            ids.append(bug_or_404(str(bug_id)).id)
    found = _visible(ids)
    _check_mid_air(user, found, data)
    revision = _revision(data)
    before = {bug.id: bug.revision for bug in found}
    results = bug_service.update_bugs(user, found, changes.bug_edit(data, revision))
    answer = []
    for bug, result in zip(found, results, strict=True):
        rows = read.history_of(user, [bug.id], before[bug.id])[bug.id]
        answer.append({"id": bug.id, "alias": [], "last_change_time":
                       serializers.when(bug.updated_at), "changes": _changes(rows),
                       "revision": bug.revision, "saved": result.saved})
    return jsonify(bugs=answer)


def _changes(rows) -> dict[str, dict[str, str]]:
    out = {}
    for entry in serializers.history(rows, HISTORY_LABELS):
        for change in entry["changes"]:
            out[change["field_name"]] = {"removed": change["removed"], "added": change["added"]}
    return out


def _revision(data: dict[str, Any]) -> int | None:
    if "revision" not in data:
        return None
    revision = data["revision"]
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        raise ApiError(ILLEGAL_VALUE, "'revision' must be a whole number.")
    return revision


def _check_mid_air(user: Any, found: list, data: dict[str, Any]) -> None:
    """``last_change_time`` given: refuse when a bug changed after it (whole seconds, as
    Bugzilla writes times), naming who changed what since."""
    seen_at = data.get("last_change_time")
    if seen_at is None:
        return
    if not isinstance(seen_at, str):
        raise ApiError(ILLEGAL_VALUE, "'last_change_time' must be YYYY-MM-DDTHH:MM:SSZ.")
    moment = moment_arg(seen_at)
    for bug in found:
        if bug.updated_at.replace(microsecond=0) > moment:
            rows = [r for r in read.history_of(user, [bug.id])[bug.id]
                    if r.changed_at.replace(microsecond=0) > moment]
            what = ", ".join(sorted({HISTORY_LABELS.get(r.field, r.field) for r in rows})) \
                or "comments"
            raise ApiError(MID_AIR, f"Bug {bug.id} changed after {seen_at} ({what}, last at "
                                    f"{serializers.when(bug.updated_at)}). Nothing was saved: "
                                    "read the bug again and repeat the change.")


def _logged_in():
    user = caller()
    if not user.is_authenticated:
        raise ApiError(LOGIN_REQUIRED, "You must log in before using this part of BugZot.")
    return user


@bp.get("/bug/<id_or_alias>/history")
def history(id_or_alias: str):
    """The bug's history, grouped per save (what the caller may see of it)."""
    bug = bug_or_404(id_or_alias)
    rows = read.history_of(caller(), [bug.id])[bug.id]
    return jsonify(bugs=[{"id": bug.id, "alias": [],
                          "history": serializers.history(rows, HISTORY_LABELS)}])

