"""``/prefs/api-keys``: the user's REST API keys, made, named and revoked here; a new key
is shown once, right after it is made."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from bugzot.exceptions import ServiceError
from bugzot.forms import apply_error
from bugzot.forms.api_keys import NewKeyForm, RevokeKeyForm
from bugzot.services import api_keys

bp = Blueprint("api_keys", __name__)


@bp.route("/prefs/api-keys", methods=["GET", "POST"])
@login_required
def keys():
    """List the keys; create one (its secret is on this answer only)."""
    form = NewKeyForm()
    created = None
    if form.validate_on_submit():
        try:
            key, secret = api_keys.create_key(current_user, form.name.data)
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            created = (key, secret)
            form = NewKeyForm(formdata=None)
    status = 400 if request.method == "POST" and created is None else 200
    response = render_template("accounts/api_keys.html", form=form, created=created,
                               keys=api_keys.keys_of(current_user), revoke=RevokeKeyForm(),
                               rest_url=url_for("api.version", _external=True).rsplit("/", 1)[0])
    return response, status, {"Cache-Control": "no-store"}


@bp.post("/prefs/api-keys/revoke")
@login_required
def revoke():
    """Revoke one of the user's keys."""
    form = RevokeKeyForm()
    if form.validate_on_submit() and form.key_id.data.isdigit():
        try:
            key = api_keys.revoke_key(current_user, int(form.key_id.data))
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(f"The key {key.name!r} was revoked.", "success")
    else:
        flash("The form expired; try again.", "error")
    return redirect(url_for("api_keys.keys"))
