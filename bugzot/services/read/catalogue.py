"""Reading the product catalogue: the home and product pages, filing choices, the
names a bug's form offers, open-bug counts, and the admin lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.orm import selectinload

from bugzot import workflow
from bugzot.extensions import db
from bugzot.models import Bug, Classification, Component, Milestone, Product, Version
from bugzot.visibility import visible_bugs_clause


def classifications(active_only: bool = True) -> list[Classification]:
    """Classifications in display order with their products loaded."""
    query = (select(Classification).order_by(Classification.sortkey, Classification.name)
             .options(selectinload(Classification.products)))
    if active_only:
        query = query.where(Classification.is_active)
    return list(db.session.scalars(query))


def classification_choices() -> list[tuple[int, str, bool]]:
    """(id, name, is_active) of every classification, in display order."""
    return list(db.session.execute(select(Classification.id, Classification.name,
                                          Classification.is_active)
                                   .order_by(Classification.sortkey, Classification.name)))


def products(active_only: bool = False) -> list[Product]:
    """Products by classification then name, with their classification loaded."""
    query = (select(Product).join(Product.classification)
             .order_by(Classification.sortkey, Classification.name, Product.name)
             .options(selectinload(Product.classification)))
    if active_only:
        query = query.where(Product.is_active)
    return list(db.session.scalars(query))


def product_by_name(name: str, active_only: bool = False) -> Product | None:
    """The product called ``name``, or None."""
    query = select(Product).where(Product.name == name)
    if active_only:
        query = query.where(Product.is_active)
    return db.session.scalar(query)


def active_product_names() -> tuple[str, ...]:
    """The names of the products open for bugs, sorted (list filters)."""
    return tuple(db.session.scalars(select(Product.name).where(Product.is_active)
                                    .order_by(Product.name)))


def products_for_filing() -> list[Product]:
    """Active products with at least one active component, by name."""
    return [p for p in db.session.scalars(select(Product).where(Product.is_active)
                                          .order_by(Product.name)
                                          .options(selectinload(Product.components)))
            if any(c.is_active for c in p.components)]


def open_bug_counts(user: Any) -> dict[int, int]:
    """Open bugs per product id, counting only bugs ``user`` may see."""
    rows = db.session.execute(
        select(Bug.product_id, func.count())
        .where(Bug.status.in_(workflow.OPEN_STATUSES), visible_bugs_clause(user))
        .group_by(Bug.product_id))
    return dict(rows.all())


# Every product's name, and one product's components, versions and milestones, in
# one statement built once.
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


def catalogue_names(product_id: int) -> dict[str, list[tuple[str, bool]]]:
    """(name, is_active) of every product and of one product's components, versions
    and milestones, in display order: ``{"product": [...], "component": [...], ...}``."""
    names: dict[str, list[tuple[str, bool]]] = {
        "product": [], "component": [], "version": [], "milestone": []}
    for kind, name, active, _ in db.session.execute(_CATALOGUE, {"product_id": product_id}):
        names[kind].append((name, active))
    return names
