"""The editable fields of a bug: who may change each, how a posted string is
looked up and applied, and the string each one shows in forms and history.

A new bug field: a column in ``models/bugs.py``, a row in ``EDITABLE_FIELDS``,
a branch in ``current_values``/``apply_field``, and a line in the template.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm.exc import StaleDataError

from bugzot import permissions, workflow
from bugzot.extensions import db
from bugzot.models import Bug, Component, Dependency, Milestone, Product, User, Version, utcnow
from bugzot.services import ServiceError


class FieldError(Exception):
    """A posted value that does not fit; becomes a ServiceError on ``field``."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class FieldSpec:
    """How one form field of the bug page is edited."""

    label: str
    permission: str | None  # None: the workflow decides (status, resolution, duplicate)
    own_bug_ok: bool = False  # the reporter's BUG_EDIT_OWN suffices on their own bug
    choices: tuple[str, ...] = ()


# In the order changes are applied: product first, so component and version are
# looked up in the new product.
EDITABLE_FIELDS: dict[str, FieldSpec] = {
    "product": FieldSpec("Product", permissions.BUG_EDIT),
    "component": FieldSpec("Component", permissions.BUG_EDIT, own_bug_ok=True),
    "version": FieldSpec("Version", permissions.BUG_EDIT, own_bug_ok=True),
    "target_milestone": FieldSpec("Target milestone", permissions.BUG_EDIT),
    "summary": FieldSpec("Summary", permissions.BUG_EDIT, own_bug_ok=True),
    "severity": FieldSpec("Severity", permissions.BUG_EDIT, True, workflow.SEVERITIES),
    "priority": FieldSpec("Priority", permissions.BUG_EDIT, False, workflow.PRIORITIES),
    "platform": FieldSpec("Platform", permissions.BUG_EDIT, True, workflow.PLATFORMS),
    "op_sys": FieldSpec("OS", permissions.BUG_EDIT, True, workflow.OP_SYSES),
    "bug_status": FieldSpec("Status", None),
    "resolution": FieldSpec("Resolution", None),
    "dup_id": FieldSpec("Duplicate of", None),
    "assigned_to": FieldSpec("Assignee", permissions.BUG_ASSIGN),
    "qa_contact": FieldSpec("QA contact", permissions.BUG_ASSIGN),
    "dependson": FieldSpec("Depends on", permissions.BUG_EDIT, own_bug_ok=True),
    "blocked": FieldSpec("Blocks", permissions.BUG_EDIT, own_bug_ok=True),
}

# Labels for history rows, including fields not edited through the form.
HISTORY_LABELS: dict[str, str] = {
    **{name: spec.label for name, spec in EDITABLE_FIELDS.items()},
    "cc": "CC",
    "comment_hidden": "Comment hidden",
    "attachment.description": "Attachment description",
    "attachment.is_patch": "Attachment is patch",
    "attachment.is_obsolete": "Attachment is obsolete",
    "attachment.is_private": "Attachment is private",
}


# -- lookups --------------------------------------------------------------------------
def find_product(name: str) -> Product:
    product = db.session.scalar(select(Product).where(Product.name == (name or "").strip()))
    if product is None:
        raise FieldError("Choose a product from the list.", "product")
    return product


def find_component(product: Product, name: str) -> Component:
    comp = db.session.scalar(select(Component).where(
        Component.product_id == product.id, Component.name == (name or "").strip(),
        Component.is_active))
    if comp is None:
        raise FieldError(f"Choose a component of {product.name}.", "component")
    return comp


def find_version(product: Product, value: str) -> Version | None:
    value = (value or "").strip()
    if not value:
        if any(v.is_active for v in product.versions):
            raise FieldError(f"Choose a version of {product.name}.", "version")
        return None
    version = db.session.scalar(select(Version).where(
        Version.product_id == product.id, Version.value == value, Version.is_active))
    if version is None:
        raise FieldError(f"Choose a version of {product.name}.", "version")
    return version


def find_milestone(product: Product, value: str) -> Milestone | None:
    value = (value or "").strip()
    if not value:
        return None
    milestone = db.session.scalar(select(Milestone).where(
        Milestone.product_id == product.id, Milestone.value == value, Milestone.is_active))
    if milestone is None:
        raise FieldError(f"Choose a milestone of {product.name}.", "target_milestone")
    return milestone


def find_user(username: str, field: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.is_active:
        raise FieldError(f"There is no active user {username.strip()!r}.", field)
    return user


def parse_usernames(text: str | None) -> list[str]:
    """Usernames from a comma- or space-separated list, lower-cased, without repeats."""
    names = [n.strip().lower() for n in (text or "").replace(",", " ").split()]
    return list(dict.fromkeys(n for n in names if n))


@contextmanager
def one_save(bug_id: int) -> Iterator[None]:
    """Turn a lost optimistic-lock race on a bug into a clear ServiceError (409)."""
    try:
        yield
    except StaleDataError:
        db.session.rollback()
        raise ServiceError(f"Someone changed bug {bug_id} at the same moment. Nothing was "
                           "saved; please try again.", status=409) from None


def bump(bug: Bug) -> int:
    """Start a new revision of ``bug`` (one per save); returns the new number."""
    bug.revision = bug.revision + 1
    bug.updated_at = utcnow()
    return bug.revision


# -- values -----------------------------------------------------------------------------
_DEPENDENCIES = select(Dependency.blocked_id, Dependency.dependson_id).where(
    (Dependency.blocked_id == bindparam("bug_id")) | (Dependency.dependson_id == bindparam("bug_id")))


def dependencies(bug_id: int) -> dict[str, list[int]]:
    """The ids ``bug_id`` depends on (``"dependson"``) and blocks (``"blocked"``), in one query."""
    lists: dict[str, list[int]] = {"dependson": [], "blocked": []}
    for blocked_id, dependson_id in db.session.execute(_DEPENDENCIES, {"bug_id": bug_id}):
        if blocked_id == bug_id:
            lists["dependson"].append(dependson_id)
        if dependson_id == bug_id:
            lists["blocked"].append(blocked_id)
    return {name: sorted(ids) for name, ids in lists.items()}


def id_list(ids) -> str:
    return ", ".join(str(i) for i in sorted(ids))


def current_values(bug: Bug) -> dict[str, str]:
    """Every editable field of ``bug`` as the string a form posts."""
    linked = dependencies(bug.id)
    return {
        "product": bug.product.name,
        "component": bug.component.name,
        "version": bug.version.value if bug.version else "",
        "target_milestone": bug.milestone.value if bug.milestone else "",
        "summary": bug.summary,
        "severity": bug.severity,
        "priority": bug.priority,
        "platform": bug.platform,
        "op_sys": bug.op_sys,
        "bug_status": bug.status,
        "resolution": bug.resolution or "",
        "dup_id": str(bug.dup_of_id) if bug.dup_of_id else "",
        "assigned_to": bug.assignee.username if bug.assignee else "",
        "qa_contact": bug.qa_contact.username if bug.qa_contact else "",
        "dependson": id_list(linked["dependson"]),
        "blocked": id_list(linked["blocked"]),
    }


def apply_field(bug: Bug, name: str, changed: Mapping[str, str], wanted: Mapping[str, str]) -> None:
    """Set field ``name`` of ``bug`` from ``changed[name]`` (relations are done elsewhere)."""
    value = changed[name]
    if name == "product":
        product = find_product(value)
        if not product.is_active:
            raise FieldError(f"The product {product.name!r} is closed.", "product")
        bug.product = product
        # Moving product re-checks the rest against the new product's catalogue.
        bug.component = find_component(product, wanted.get("component", bug.component.name))
        bug.version = find_version(product, wanted.get(
            "version", bug.version.value if bug.version else ""))
        bug.milestone = find_milestone(product, wanted.get("target_milestone", ""))
    elif name == "component":
        bug.component = find_component(bug.product, value)
    elif name == "version":
        bug.version = find_version(bug.product, value)
    elif name == "target_milestone":
        bug.milestone = find_milestone(bug.product, value)
    elif name == "summary":
        if not value:
            raise FieldError("Please enter a summary.", "summary")
        if len(value) > 255:
            raise FieldError("The summary is at most 255 characters.", "summary")
        bug.summary = value
    elif name in ("severity", "priority", "platform", "op_sys"):
        spec = EDITABLE_FIELDS[name]
        if value not in spec.choices:
            raise FieldError(f"Choose a valid {spec.label.lower()}.", name)
        setattr(bug, name, value)
    elif name == "bug_status":
        bug.status = value
        if workflow.is_open(value):
            bug.resolution, bug.dup_of_id = None, None
    elif name == "resolution":
        if workflow.is_open(bug.status):
            return  # reopening clears the resolution whatever the form still shows
        bug.resolution = value
        if value != workflow.DUPLICATE:
            bug.dup_of_id = None
    elif name in ("assigned_to", "qa_contact"):
        user = find_user(value, name) if value else None
        if name == "assigned_to":
            bug.assignee = user
        else:
            bug.qa_contact = user
