"""Admin pages for user accounts (``admin.users``): list and search, create, and
edit role, real name and the active flag."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from bugzot import permissions
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.forms.admin import UserCreateForm, UserEditForm, UserFilterForm
from bugzot.models import Role, User
from bugzot.permissions import require
from bugzot.services import accounts
from bugzot.services.read import users as users_read
from bugzot.views.admin.common import attempt, bp, form_page

PER_PAGE = 50


def _roles() -> list[Role]:
    return users_read.roles()


def _role(role_id: int) -> Role:
    role = db.session.get(Role, role_id)
    if role is None:
        raise ServiceError("Choose a role.", "role_id")
    return role


@bp.get("/users")
@require(permissions.ADMIN_USERS)
def users():
    """Users by username, filtered by text, role and status; disabled ones greyed."""
    roles = _roles()
    form = UserFilterForm(request.args)
    form.role_id.choices = [SelectChoice(0, "Any role")] + [SelectChoice(r.id, r.name) for r in roles]
    valid = form.validate()
    page = (form.page.data or 1) if valid else 1
    found, total = users_read.find_users(
        current_user, form.q.data or "" if valid else "", form.role_id.data if valid else None,
        form.status.data if valid else "all", page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/users.html", form=form, users=found, total=total, page=page,
                           pages=pages, args=args)


@bp.route("/users/new", methods=["GET", "POST"])
@require(permissions.ADMIN_USERS)
def user_new():
    """Create an account (active at once unless unticked); no activation mail."""
    form = UserCreateForm()
    form.role_id.choices = [SelectChoice(r.id, r.name) for r in _roles()]
    if request.method == "GET":
        default = next((r.id for r in _roles() if r.name == permissions.DEFAULT_ROLE), None)
        form.role_id.data = default
    if attempt(form, lambda: accounts.create_user(
            current_user, form.username.data, form.email.data, form.password.data,
            form.real_name.data or "", _role(form.role_id.data).name,
            active=form.is_active.data)):
        flash(f"User {form.username.data.strip().lower()} created.", "success")
        return redirect(url_for("admin.users"))
    return form_page(form, "New user", url_for("admin.users"), "Create")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require(permissions.ADMIN_USERS)
def user_edit(user_id: int):
    """Change a user's role, real name or active flag (not your own role or flag)."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.role_id.choices = [SelectChoice(r.id, r.name) for r in _roles()]
    if attempt(form, lambda: accounts.admin_update_user(
            current_user, user, role=_role(form.role_id.data), is_active=form.is_active.data,
            real_name=form.real_name.data or "")):
        flash(f"User {user.username} saved.", "success")
        return redirect(url_for("admin.users"))
    return form_page(form, f"User {user.username}", url_for("admin.users"), subject=user)
