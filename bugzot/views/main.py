"""The start page and product pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bugzot import permissions
from bugzot.extensions import db
from bugzot.models import Classification, Product
from bugzot.permissions import require

bp = Blueprint("main", __name__)


@bp.get("/")
@require(permissions.BUG_VIEW)
def home():
    """Classifications with their active products and open-bug counts."""
    classifications = db.session.scalars(
        select(Classification)
        .where(Classification.is_active)
        .order_by(Classification.sortkey, Classification.name)
        .options(selectinload(Classification.products))
    ).all()
    counts = open_bug_counts()
    return render_template("main/home.html", classifications=classifications, counts=counts)


@bp.get("/products/<name>")
@require(permissions.BUG_VIEW)
def product(name: str):
    """One product: its components, versions and milestones."""
    prod = db.session.scalar(select(Product).where(Product.name == name))
    if prod is None:
        abort(404, f"There is no product called {name!r}.")
    counts = open_bug_counts()
    return render_template("products/show.html", product=prod, open_count=counts.get(prod.id, 0))


def open_bug_counts() -> dict[int, int]:
    """Open bugs per product id, counting only bugs the current user may see."""
    from flask_login import current_user

    from bugzot.models import Bug
    from bugzot.visibility import visible_bugs_clause
    from bugzot.workflow import OPEN_STATUSES

    rows = db.session.execute(
        select(Bug.product_id, db.func.count())
        .where(Bug.status.in_(OPEN_STATUSES), visible_bugs_clause(current_user))
        .group_by(Bug.product_id)
    )
    return {pid: n for pid, n in rows}
