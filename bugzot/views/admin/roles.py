"""Admin pages for roles and their permission grants (``admin.roles``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from bugzot import permissions
from bugzot.extensions import db
from bugzot.forms.admin import ConfirmForm, RoleForm
from bugzot.models import Role
from bugzot.permissions import require
from bugzot.services import roles as role_service
from bugzot.services.read import users as users_read
from bugzot.views.admin.common import attempt, bp, form_page


@bp.get("/roles")
@require(permissions.ADMIN_ROLES)
def roles():
    """Every role with its grants and how many users hold it."""
    return render_template("admin/roles.html", roles=users_read.roles(),
                           holders=users_read.role_holders(),
                           descriptions=permissions.DESCRIPTIONS)


@bp.route("/roles/new", methods=["GET", "POST"])
@require(permissions.ADMIN_ROLES)
def role_new():
    """Create a role with a set of grants."""
    form = RoleForm()
    if attempt(form, lambda: role_service.save_role(
            current_user, None, form.name.data, form.description.data or "",
            form.permissions.data or [])):
        flash(f"Role {form.name.data.strip()} created.", "success")
        return redirect(url_for("admin.roles"))
    return form_page(form, "New role", url_for("admin.roles"), "Create")


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@require(permissions.ADMIN_ROLES)
def role_edit(role_id: int):
    """Rename (not built-in roles), describe, and set the grants of a role."""
    role = db.get_or_404(Role, role_id)
    form = RoleForm(obj=role)  # role.permissions fills the checkboxes
    if role.is_builtin:
        form.name.render_kw = {"readonly": True}  # the service refuses renames anyway
    if attempt(form, lambda: role_service.save_role(
            current_user, role, form.name.data, form.description.data or "",
            form.permissions.data or [])):
        flash(f"Role {role.name} saved.", "success")
        return redirect(url_for("admin.roles"))
    return form_page(form, f"Role {role.name}", url_for("admin.roles"))


@bp.post("/roles/<int:role_id>/delete")
@require(permissions.ADMIN_ROLES)
def role_delete(role_id: int):
    """Delete a role that is not built in and that nobody holds."""
    role = db.get_or_404(Role, role_id)
    name = role.name
    form = ConfirmForm()
    if attempt(form, lambda: role_service.delete_role(current_user, role)):
        flash(f"Role {name} deleted.", "success")
    else:
        for error in form.form_errors or ["The form expired; try again."]:
            flash(error, "error")
    return redirect(url_for("admin.roles"))
