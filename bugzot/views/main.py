"""The start page (a logged-in user's "My bugs" above the product overview), product
pages and the favicon."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, send_from_directory
from flask_login import current_user

from bugzot import permissions
from bugzot.permissions import require
from bugzot.services.read import catalogue, dashboard

bp = Blueprint("main", __name__)


@bp.get("/")
@require(permissions.BUG_VIEW)
def home():
    """My bugs (logged in), then classifications with their active products and
    open-bug counts."""
    sections = dashboard.sections(current_user) if current_user.is_authenticated else []
    return render_template("main/home.html", sections=sections,
                           classifications=catalogue.classifications(),
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


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico wherever a page names no icon (a JSON answer, a
    download): the SVG icon, so that no page ever logs a 404 for it. No login needed."""
    return send_from_directory(current_app.static_folder, "favicon.svg",
                               mimetype="image/svg+xml", max_age=86400)
