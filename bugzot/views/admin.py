"""Administration pages: classifications, products, components, versions,
milestones, users and roles."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from bugzot import permissions
from bugzot.permissions import can

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMIN_PERMISSIONS = (permissions.ADMIN_PRODUCTS, permissions.PRODUCT_MANAGE,
                     permissions.ADMIN_USERS, permissions.ADMIN_ROLES)


@bp.get("/")
@login_required
def index():
    """The admin start page, listing the sections this user may manage."""
    if not any(can(current_user, p) for p in ADMIN_PERMISSIONS):
        abort(403)
    return render_template("admin/index.html")
