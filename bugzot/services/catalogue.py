"""The product catalogue: every write to classifications, products, components,
versions and milestones.

Each public function takes the acting user, checks their permission (classifications
and products need ``admin.products``; components, versions and milestones
``product.manage``) and is one unit of work. Refusals are ``ServiceError`` naming
the form field at fault. Names are checked for clashes before writing (case-
insensitively, as a user would expect); the database's unique constraints still
catch a concurrent insert, and that ``IntegrityError`` becomes the same refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bugzot import permissions
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.fields import active_user
from bugzot.models import Classification, Component, Milestone, Product, User, Version
from bugzot.services import unit_of_work

NAME_MAX = 64
DESCRIPTION_MAX = 4000
SORTKEY_RANGE = (-32768, 32767)

T = TypeVar("T")


# -- helpers ---------------------------------------------------------------------
def clean_name(value: str | None, field: str, label: str) -> str:
    """``value`` stripped, or a ServiceError when it is empty or too long."""
    value = (value or "").strip()
    if not value:
        raise ServiceError(f"{label} is required.", field)
    if len(value) > NAME_MAX:
        raise ServiceError(f"{label} is at most {NAME_MAX} characters.", field)
    return value


def _clean_description(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > DESCRIPTION_MAX:
        raise ServiceError(f"The description is at most {DESCRIPTION_MAX} characters.", "description")
    return value


def _check_sortkey(value: int | None) -> int:
    value = value or 0
    low, high = SORTKEY_RANGE
    if not low <= value <= high:
        raise ServiceError(f"The sort key must be between {low} and {high}.", "sortkey")
    return value


def _taken(column: Any, value: str, current: Any, *where: Any) -> bool:
    """True when another row than ``current`` has ``column`` equal to ``value`` (any case)."""
    entity = column.class_
    query = select(entity.id).where(func.lower(column) == value.lower(), *where)
    if current is not None and current.id is not None:
        query = query.where(entity.id != current.id)
    return db.session.scalar(query.limit(1)) is not None


def _write(apply: Callable[[], T], clash: ServiceError) -> T:
    """Run ``apply`` as one unit of work; a unique-constraint race becomes ``clash``."""
    try:
        with unit_of_work():
            result = apply()
            db.session.flush()
    except IntegrityError as exc:
        raise clash from exc
    return result


def _person(user: User | None, field: str, current: User | None) -> User | None:
    """``user`` if it may become a default person of a component: an active account,
    or the ``current`` one even if disabled since (so other edits still work)."""
    if user is None or (current is not None and user.id == current.id):
        return user
    return active_user(user, field)


def _may_manage_products(acting: Any) -> None:
    permissions.check(acting, permissions.ADMIN_PRODUCTS,
                      "You may not manage classifications and products.")


def _may_manage_parts(acting: Any) -> None:
    permissions.check(acting, permissions.PRODUCT_MANAGE,
                      "You may not manage components, versions and milestones.")


# -- classifications ------------------------------------------------------------------
def save_classification(acting: Any, classification: Classification | None, *, name: str,
                        description: str = "", sortkey: int | None = 0,
                        is_active: bool = True) -> Classification:
    """Create (``classification`` None) or update a classification."""
    _may_manage_products(acting)
    name = clean_name(name, "name", "The name")
    description = _clean_description(description)
    sortkey = _check_sortkey(sortkey)
    clash = ServiceError(f"A classification named {name!r} already exists.", "name")
    if _taken(Classification.name, name, classification):
        raise clash

    def apply() -> Classification:
        obj = classification or Classification()
        obj.name, obj.description, obj.sortkey, obj.is_active = name, description, sortkey, is_active
        db.session.add(obj)
        return obj

    return _write(apply, clash)


# -- products ---------------------------------------------------------------------------
def save_product(acting: Any, product: Product | None, *, name: str, classification_id: int | None,
                 description: str = "", is_active: bool = True,
                 allows_unconfirmed: bool = False) -> Product:
    """Create (``product`` None) or update a product. Product names are unique site-wide."""
    _may_manage_products(acting)
    name = clean_name(name, "name", "The name")
    if "/" in name:
        raise ServiceError("Product names cannot contain '/' (they appear in URLs).", "name")
    description = _clean_description(description)
    classification = db.session.get(Classification, classification_id) if classification_id else None
    if classification is None:
        raise ServiceError("Choose a classification.", "classification_id")
    clash = ServiceError(f"A product named {name!r} already exists.", "name")
    if _taken(Product.name, name, product):
        raise clash

    def apply() -> Product:
        obj = product or Product()
        obj.name, obj.description, obj.classification = name, description, classification
        obj.is_active, obj.allows_unconfirmed = is_active, allows_unconfirmed
        db.session.add(obj)
        return obj

    return _write(apply, clash)


# -- components --------------------------------------------------------------------------
def save_component(acting: Any, product: Product, component: Component | None, *, name: str,
                   description: str = "", default_assignee: User | None = None,
                   default_qa_contact: User | None = None, is_active: bool = True) -> Component:
    """Create or update a component of ``product`` with its default people."""
    _may_manage_parts(acting)
    name = clean_name(name, "name", "The name")
    description = _clean_description(description)
    assignee = _person(default_assignee, "default_assignee",
                       component.default_assignee if component else None)
    qa_contact = _person(default_qa_contact, "default_qa_contact",
                         component.default_qa_contact if component else None)
    clash = ServiceError(f"{product.name} already has a component named {name!r}.", "name")
    if _taken(Component.name, name, component, Component.product_id == product.id):
        raise clash

    def apply() -> Component:
        obj = component or Component(product=product)
        obj.name, obj.description, obj.is_active = name, description, is_active
        obj.default_assignee, obj.default_qa_contact = assignee, qa_contact
        db.session.add(obj)
        return obj

    return _write(apply, clash)


# -- versions and milestones ---------------------------------------------------------------
def save_version(acting: Any, product: Product, version: Version | None, *, value: str,
                 is_active: bool = True) -> Version:
    """Create or update a version of ``product``."""
    _may_manage_parts(acting)
    value = clean_name(value, "value", "The version")
    clash = ServiceError(f"{product.name} already has a version {value!r}.", "value")
    if _taken(Version.value, value, version, Version.product_id == product.id):
        raise clash

    def apply() -> Version:
        obj = version or Version(product=product)
        obj.value, obj.is_active = value, is_active
        db.session.add(obj)
        return obj

    return _write(apply, clash)


def save_milestone(acting: Any, product: Product, milestone: Milestone | None, *, value: str,
                   sortkey: int | None = 0, is_active: bool = True) -> Milestone:
    """Create or update a milestone of ``product``; milestones sort by ``sortkey``."""
    _may_manage_parts(acting)
    value = clean_name(value, "value", "The milestone")
    sortkey = _check_sortkey(sortkey)
    clash = ServiceError(f"{product.name} already has a milestone {value!r}.", "value")
    if _taken(Milestone.value, value, milestone, Milestone.product_id == product.id):
        raise clash

    def apply() -> Milestone:
        obj = milestone or Milestone(product=product)
        obj.value, obj.sortkey, obj.is_active = value, sortkey, is_active
        db.session.add(obj)
        return obj

    return _write(apply, clash)
