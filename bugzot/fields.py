"""The bug field table: one ``FieldSpec`` per field of a bug.

Each spec says, for one field: its internal name (form field, history row, the key of
a ``BugEdit``), its Bugzilla REST name, its label (forms and history), the Python type
a command carries, how to read it from a ``Bug``, how to check and set a new value, the
permission needed to change it, and where it appears in bug lists (filter parameter,
CSV column). Filing, editing, history, events, the mid-air page, CSV exports, list
filters and the REST API read this table instead of keeping their own lists (Bugzilla's
``VALIDATORS`` + ``FIELD_MAP`` + ``UPDATE_COLUMNS`` in one place).

Adding a field: a column in ``models/bugs.py``, a migration, one ``FieldSpec`` here
(with its ``check``/``assign`` when the default ones do not fit), a line in the bug
page template.

``assign`` sets attributes on the bug; it never commits: only the services call it,
inside their unit of work. Values that do not fit raise ``ServiceError`` on the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from bugzot import permissions, workflow
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import Bug, Component, Dependency, Milestone, Product, User, Version

MAX_SUMMARY = 255
MAX_COMMENT = 65535
# ``Related`` holds what a bug's own row does not: its dependency lists.
Related = dict[str, frozenset[int]]


@dataclass(frozen=True)
class FieldSpec:
    """How one bug field is named, typed, read, checked, set and shown."""

    name: str  # internal: form field, history row, BugEdit key, CSV column
    api: str  # Bugzilla REST name
    label: str  # forms and history
    type: str  # what a command carries: "text", "choice", "product", "component", "version",
    #            "milestone", "status", "resolution", "bug", "bugs", "user", "bool", "int", "time"
    read: Callable[[Bug, Related], Any]
    permission: str | None = None  # to change it; None: the workflow decides, or read-only
    own_bug_ok: bool = False  # a reporter's bug.edit_own suffices on their own bug
    choices: tuple[str, ...] = ()
    editable: bool = True
    filing: bool = False  # given when a bug is filed
    filter: str | None = None  # bug list URL parameter
    column: str | None = None  # its column in list rows and CSV exports (in table order)

    def show(self, value: Any) -> str:
        """``value`` as a form shows it and a history row records it."""
        return SHOW.get(self.type, _text)(value)

    def check(self, value: Any, bug: Bug | None = None, wanted: dict | None = None) -> Any:
        """The canonical form of a new ``value`` (whitespace, sets), or ServiceError."""
        return CHECK.get(self.type, _keep)(self, value, bug, wanted or {})

    def assign(self, bug: Bug, value: Any, wanted: dict) -> None:
        """Set the checked ``value`` on ``bug`` (inside the caller's unit of work)."""
        ASSIGN.get(self.type, _set_attribute)(self, bug, value, wanted)


# -- shown values ------------------------------------------------------------------
def _text(value: Any) -> str:
    return "" if value is None else str(value)


def id_list(ids: Iterable[int]) -> str:
    """Bug ids as a form shows them: ``"3, 12"``."""
    return ", ".join(str(i) for i in sorted(ids))


SHOW: dict[str, Callable[[Any], str]] = {
    "user": lambda user: user.username if user is not None else "",
    "bugs": id_list,
    "bool": lambda value: str(int(bool(value))),
    "time": lambda value: value.isoformat() if value else "",
}


# -- lookups (reads; unknown or inactive names are a ServiceError on the field) ---------
def find_product(name: str) -> Product:
    """The product called ``name``."""
    product = db.session.scalar(select(Product).where(Product.name == (name or "").strip()))
    if product is None:
        raise ServiceError("Choose a product from the list.", "product")
    return product


def find_component(product: Product, name: str) -> Component:
    """The active component ``name`` of ``product``."""
    comp = db.session.scalar(select(Component).where(
        Component.product_id == product.id, Component.name == (name or "").strip(),
        Component.is_active))
    if comp is None:
        raise ServiceError(f"Choose a component of {product.name}.", "component")
    return comp


def find_version(product: Product, value: str) -> Version | None:
    """The active version ``value`` of ``product``; none only if it has no active version."""
    value = (value or "").strip()
    if not value:
        if any(v.is_active for v in product.versions):
            raise ServiceError(f"Choose a version of {product.name}.", "version")
        return None
    version = db.session.scalar(select(Version).where(
        Version.product_id == product.id, Version.value == value, Version.is_active))
    if version is None:
        raise ServiceError(f"Choose a version of {product.name}.", "version")
    return version


def find_milestone(product: Product, value: str) -> Milestone | None:
    """The active milestone ``value`` of ``product``, or None for an empty value."""
    value = (value or "").strip()
    if not value:
        return None
    milestone = db.session.scalar(select(Milestone).where(
        Milestone.product_id == product.id, Milestone.value == value, Milestone.is_active))
    if milestone is None:
        raise ServiceError(f"Choose a milestone of {product.name}.", "target_milestone")
    return milestone


def active_user(user: User | None, field: str) -> User | None:
    """``user`` if it may be given a role on a bug (an active account), else ServiceError."""
    if user is not None and not user.is_active:
        raise ServiceError(f"There is no active user {user.username!r}.", field)
    return user


# -- checks -------------------------------------------------------------------------
def _keep(spec: FieldSpec, value: Any, bug: Bug | None, wanted: dict) -> Any:
    return value


def _check_text(spec: FieldSpec, value: Any, bug: Bug | None, wanted: dict) -> str:
    value = " ".join(str(value or "").split())
    if not value:
        raise ServiceError(f"Please enter a {spec.label.lower()}.", spec.name)
    if len(value) > MAX_SUMMARY:
        raise ServiceError(f"The {spec.label.lower()} is at most {MAX_SUMMARY} characters.",
                           spec.name)
    return value


def _check_choice(spec: FieldSpec, value: Any, bug: Bug | None, wanted: dict) -> str:
    value = str(value or "").strip()
    if value not in spec.choices:
        raise ServiceError(f"Choose a valid {spec.label.lower()}.", spec.name)
    return value


def _check_name(spec: FieldSpec, value: Any, bug: Bug | None, wanted: dict) -> str:
    return str(value or "").strip()


def _check_bugs(spec: FieldSpec, value: Any, bug: Bug | None, wanted: dict) -> frozenset[int]:
    ids = frozenset(value or ())
    if any(not isinstance(i, int) or isinstance(i, bool) or i < 1 for i in ids):
        raise ServiceError("Give bug numbers.", spec.name)
    return ids


def _check_bug(spec: FieldSpec, value: Any, bug: Bug | None, wanted: dict) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ServiceError("Give the number of the bug this one duplicates.", spec.name)
    return value


def _check_user(spec: FieldSpec, value: Any, bug: Bug | None, wanted: dict) -> User | None:
    return active_user(value, spec.name)


def _check_bool(spec: FieldSpec, value: Any, bug: Bug | None, wanted: dict) -> bool:
    return bool(value)


CHECK: dict[str, Callable[[FieldSpec, Any, Bug | None, dict], Any]] = {
    "text": _check_text, "choice": _check_choice, "product": _check_name,
    "component": _check_name, "version": _check_name, "milestone": _check_name,
    "status": _check_name, "resolution": _check_name, "bugs": _check_bugs, "bug": _check_bug,
    "user": _check_user, "bool": _check_bool,
}


# -- assignments ----------------------------------------------------------------------
def _set_attribute(spec: FieldSpec, bug: Bug, value: Any, wanted: dict) -> None:
    setattr(bug, ATTRIBUTES.get(spec.name, spec.name), value)


def _assign_product(spec: FieldSpec, bug: Bug, value: str, wanted: dict) -> None:
    product = find_product(value)
    if not product.is_active:
        raise ServiceError(f"The product {product.name!r} is closed.", "product")
    old_component = bug.component.name
    old_version = bug.version.value if bug.version else ""
    bug.product = product
    # Moving product re-checks the rest against the new product's catalogue.
    bug.component = find_component(product, wanted.get("component", old_component))
    bug.version = find_version(product, wanted.get("version", old_version))
    bug.milestone = find_milestone(product, wanted.get("target_milestone", ""))


def _assign_status(spec: FieldSpec, bug: Bug, value: str, wanted: dict) -> None:
    bug.status = value
    if workflow.is_open(value):
        bug.resolution, bug.dup_of_id = None, None


def _assign_resolution(spec: FieldSpec, bug: Bug, value: str, wanted: dict) -> None:
    if workflow.is_open(bug.status):
        return  # reopening clears the resolution whatever the form still shows
    bug.resolution = value or None
    if value != workflow.DUPLICATE:
        bug.dup_of_id = None


def _relation_elsewhere(spec: FieldSpec, bug: Bug, value: Any, wanted: dict) -> None:
    """Duplicates and dependencies are set by ``services.bugs.relations`` (they touch
    other bugs and must refuse loops)."""


ASSIGN: dict[str, Callable[[FieldSpec, Bug, Any, dict], None]] = {
    "product": _assign_product,
    "component": lambda spec, bug, value, wanted: setattr(
        bug, "component", find_component(bug.product, value)),
    "version": lambda spec, bug, value, wanted: setattr(
        bug, "version", find_version(bug.product, value)),
    "milestone": lambda spec, bug, value, wanted: setattr(
        bug, "milestone", find_milestone(bug.product, value)),
    "status": _assign_status,
    "resolution": _assign_resolution,
    "bug": _relation_elsewhere,
    "bugs": _relation_elsewhere,
}
ATTRIBUTES = {"bug_status": "status", "assigned_to": "assignee", "dup_id": "dup_of_id"}
# Types whose value is a name kept in another table (lists look them up by id).
NAMED_TYPES = frozenset({"product", "component", "version", "milestone", "user"})


# -- the table --------------------------------------------------------------------------
def _attr(name: str) -> Callable[[Bug, Related], Any]:
    return lambda bug, related: getattr(bug, name)


def _named(relation: str, column: str) -> Callable[[Bug, Related], str]:
    def read(bug: Bug, related: Related) -> str:
        target = getattr(bug, relation)
        return getattr(target, column) if target is not None else ""
    return read


EDIT = permissions.BUG_EDIT
# In the order changes are applied: product first, so that component, version and
# milestone are looked up in the new product; status before resolution.
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", "id", "Bug", "int", _attr("id"), editable=False, column="id"),
    FieldSpec("product", "product", "Product", "product", _named("product", "name"), EDIT,
              filing=True, filter="product", column="product"),
    FieldSpec("component", "component", "Component", "component", _named("component", "name"),
              EDIT, own_bug_ok=True, filing=True, filter="component", column="component"),
    FieldSpec("version", "version", "Version", "version", _named("version", "value"), EDIT,
              own_bug_ok=True, filing=True, filter="version"),
    FieldSpec("target_milestone", "target_milestone", "Target milestone", "milestone",
              _named("milestone", "value"), EDIT),
    FieldSpec("bug_status", "status", "Status", "status", _attr("status"), filter="status",
              column="status"),
    FieldSpec("resolution", "resolution", "Resolution", "resolution",
              lambda bug, related: bug.resolution or "", choices=workflow.RESOLUTIONS,
              filter="resolution", column="resolution"),
    FieldSpec("severity", "severity", "Severity", "choice", _attr("severity"), EDIT,
              own_bug_ok=True, choices=workflow.SEVERITIES, filing=True, filter="severity",
              column="severity"),
    FieldSpec("priority", "priority", "Priority", "choice", _attr("priority"), EDIT,
              choices=workflow.PRIORITIES, filing=True, filter="priority", column="priority"),
    FieldSpec("platform", "platform", "Platform", "choice", _attr("platform"), EDIT,
              own_bug_ok=True, choices=workflow.PLATFORMS, filing=True),
    FieldSpec("op_sys", "op_sys", "OS", "choice", _attr("op_sys"), EDIT, own_bug_ok=True,
              choices=workflow.OP_SYSES, filing=True),
    FieldSpec("dup_id", "dupe_of", "Duplicate of", "bug", _attr("dup_of_id")),
    FieldSpec("assigned_to", "assigned_to", "Assignee", "user", _attr("assignee"),
              permissions.BUG_ASSIGN, filter="assignee", column="assignee"),
    FieldSpec("qa_contact", "qa_contact", "QA contact", "user", _attr("qa_contact"),
              permissions.BUG_ASSIGN),
    FieldSpec("reporter", "creator", "Reporter", "user", _attr("reporter"), editable=False,
              filter="reporter", column="reporter"),
    FieldSpec("summary", "summary", "Summary", "text", _attr("summary"), EDIT, own_bug_ok=True,
              filing=True, column="summary"),
    FieldSpec("dependson", "depends_on", "Depends on", "bugs",
              lambda bug, related: related["dependson"], EDIT, own_bug_ok=True),
    FieldSpec("blocked", "blocks", "Blocks", "bugs", lambda bug, related: related["blocked"],
              EDIT, own_bug_ok=True),
    FieldSpec("is_private", "is_private", "Private bug", "bool", _attr("is_private"),
              permissions.BUG_PRIVATE, filing=True),
    FieldSpec("created_at", "creation_time", "Reported", "time", _attr("created_at"),
              editable=False, column="created_at"),
    FieldSpec("updated_at", "last_change_time", "Modified", "time", _attr("updated_at"),
              editable=False, column="updated_at"),
)
FIELD: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
EDITABLE: tuple[FieldSpec, ...] = tuple(spec for spec in FIELDS if spec.editable)
BY_API: dict[str, FieldSpec] = {spec.api: spec for spec in FIELDS}
CSV_COLUMNS: tuple[str, ...] = tuple(spec.column for spec in FIELDS if spec.column)
FILTERABLE: tuple[FieldSpec, ...] = tuple(spec for spec in FIELDS if spec.filter)
# History labels, including the rows that are not about a field of the table.
HISTORY_LABELS: dict[str, str] = {
    **{spec.name: spec.label for spec in FIELDS},
    "cc": "CC",
    "comment_hidden": "Comment hidden",
    "attachment.description": "Attachment description",
    "attachment.is_patch": "Attachment is patch",
    "attachment.is_obsolete": "Attachment is obsolete",
    "attachment.is_private": "Attachment is private",
}


# -- reading a bug -------------------------------------------------------------------------
_DEPENDENCIES = select(Dependency.blocked_id, Dependency.dependson_id).where(
    Dependency.blocked_id.in_(bindparam("ids", expanding=True))
    | Dependency.dependson_id.in_(bindparam("ids", expanding=True)))


def dependency_lists(bug_ids: Iterable[int]) -> dict[int, Related]:
    """Each bug's "depends on" and "blocks" ids, for many bugs in one statement."""
    ids = sorted(set(bug_ids))
    lists: dict[int, dict[str, set[int]]] = {i: {"dependson": set(), "blocked": set()} for i in ids}
    if ids:
        for blocked_id, dependson_id in db.session.execute(_DEPENDENCIES, {"ids": ids}):
            if blocked_id in lists:
                lists[blocked_id]["dependson"].add(dependson_id)
            if dependson_id in lists:
                lists[dependson_id]["blocked"].add(blocked_id)
    return {i: {name: frozenset(s) for name, s in pair.items()} for i, pair in lists.items()}


def snapshot(bug: Bug, related: Related | None = None) -> dict[str, Any]:
    """Every editable field of ``bug`` as the typed value a command carries."""
    related = related if related is not None else dependency_lists([bug.id])[bug.id]
    return {spec.name: spec.read(bug, related) for spec in EDITABLE}


def form_values(values: dict[str, Any]) -> dict[str, str]:
    """A ``snapshot`` as the strings a form shows (and history rows record)."""
    return {name: FIELD[name].show(value) for name, value in values.items()}
