"""What every admin page shares: the ``admin`` blueprint, the permissions that open the
admin start page, and the helpers that run a form's service call and render it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, render_template
from flask_wtf import FlaskForm

from bugzot import permissions
from bugzot.exceptions import ServiceError
from bugzot.forms import apply_error
from bugzot.permissions import require

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMIN_PERMISSIONS = (permissions.ADMIN_PRODUCTS, permissions.PRODUCT_MANAGE,
                     permissions.ADMIN_USERS, permissions.ADMIN_ROLES,
                     permissions.ADMIN_NOTIFICATIONS)


def attempt(form: FlaskForm, action: Callable[[], Any]) -> bool:
    """Validate ``form`` and run the service call ``action``; True when it succeeded.

    A ``ServiceError`` is shown on the field it names, so bad input is always a form
    error, never a 500.
    """
    if not form.validate_on_submit():
        return False
    try:
        action()
    except ServiceError as exc:
        apply_error(form, exc)
        return False
    return True


def form_page(form: FlaskForm, title: str, back: str, submit: str = "Save", **extra: Any) -> str:
    """Render the generic admin form page (every create/edit form uses it)."""
    return render_template("admin/form_page.html", form=form, title=title, back=back,
                           submit=submit, **extra)


@bp.get("/")
@require(*ADMIN_PERMISSIONS)
def index():
    """The admin start page, listing the sections this user may manage."""
    return render_template("admin/index.html")
