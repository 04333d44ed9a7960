"""The start page and product pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from bugzot import permissions
from bugzot.permissions import require
from bugzot.services.read import catalogue

bp = Blueprint("main", __name__)


@bp.get("/")
@require(permissions.BUG_VIEW)
def home():
    """Classifications with their active products and open-bug counts."""
    return render_template("main/home.html", classifications=catalogue.classifications(),
                           counts=catalogue.open_bug_counts(current_user))


@bp.get("/products/<name>")
@require(permissions.BUG_VIEW)
def product(name: str):
    """One product: its components, versions and milestones."""
    prod = catalogue.product_by_name(name)
    if prod is None:
        abort(404, f"There is no product called {name!r}.")
    counts = catalogue.open_bug_counts(current_user)
    return render_template("products/show.html", product=prod, open_count=counts.get(prod.id, 0))
