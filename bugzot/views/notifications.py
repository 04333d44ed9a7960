"""Bug-mail preferences (``/prefs/notifications``: the role x change matrix, digests,
own changes, component watching, ignored bugs) and the bug page's "ignore this bug"
button. The matching admin pages are ``views.admin.notifications``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from bugzot import visibility
from bugzot.exceptions import ServiceError
from bugzot.forms import apply_error
from bugzot.forms.notifications import IgnoreForm, PrefsForm, WatchForm
from bugzot.services import notifications
from bugzot.services.read import catalogue
from bugzot.services.read import notifications as settings

bp = Blueprint("notifications", __name__)


def _places() -> list[tuple[str, str, str]]:
    """(choice value, product name, component name or "") of everything one may watch."""
    places = []
    for product in catalogue.products(active_only=True):
        places.append((f"{product.id}:", product.name, ""))
        places += [(f"{product.id}:{c.id}", product.name, c.name)
                   for c in sorted(product.components, key=lambda c: c.name) if c.is_active]
    return places


def _watch_form(places: list[tuple[str, str, str]]) -> WatchForm:
    form = WatchForm(prefix="watch")
    form.place.choices = [SelectChoice("", "Choose a product or component")] + [
        SelectChoice(value, f"{product} / {component}" if component else f"{product} (every component)")
        for value, product, component in places]
    return form


@bp.route("/prefs/notifications", methods=["GET", "POST"])
@login_required
def prefs():
    """Which changes mail you, as what, and how often; what you watch and ignore."""
    mine = settings.prefs_of([current_user.id])[current_user.id]
    form = PrefsForm(data={"enabled": sorted(mine.enabled), "digest": mine.digest,
                           "own_changes": mine.own_changes})
    places = _places()
    watch = _watch_form(places)
    if form.validate_on_submit():
        try:
            notifications.save_prefs(current_user, form.to_edit())
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            flash("Your mail preferences were saved.", "success")
            return redirect(url_for("notifications.prefs"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/notifications.html", form=form, watch=watch,
                           roles=settings.ROLES, kinds=settings.KINDS,
                           watches=settings.watches_of(current_user),
                           ignored=settings.ignored_bugs(current_user),
                           unwatch=IgnoreForm(formdata=None)), status


@bp.post("/prefs/notifications/watches")
@login_required
def add_watch():
    """Start watching a component or a whole product."""
    places = _places()
    form = _watch_form(places)
    chosen = {value: (product, component) for value, product, component in places}
    if form.validate_on_submit() and form.place.data in chosen:
        product, component = chosen[form.place.data]
        try:
            notifications.add_watch(current_user, product, component)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(f"You now watch {product}{' / ' + component if component else ''}.", "success")
    else:
        flash("Choose a product or component to watch.", "error")
    return redirect(url_for("notifications.prefs", _anchor="watching"))


@bp.post("/prefs/notifications/watches/<int:watch_id>/delete")
@login_required
def remove_watch(watch_id: int):
    """Stop watching."""
    if not IgnoreForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    try:
        notifications.remove_watch(current_user, watch_id)
    except ServiceError as exc:
        abort(404, exc.message)
    flash("You no longer watch that.", "success")
    return redirect(url_for("notifications.prefs", _anchor="watching"))


@bp.post("/bugs/<int:bug_id>/ignore")
@login_required
def ignore(bug_id: int):
    """Ignore a bug (no mail about it whatever your role), or hear about it again."""
    bug = visibility.visible_bug(current_user, bug_id)
    if bug is None:
        abort(404, f"Bug {bug_id} does not exist or you may not see it.")
    form = IgnoreForm()
    if not form.validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    ignored = form.ignored.data != "0"
    already = settings.is_ignored(current_user, bug.id) == ignored
    try:
        notifications.set_ignored(current_user, bug, ignored)
    except ServiceError as exc:
        abort(exc.status, exc.message)
    if ignored:
        flash(f"You {'already ignore' if already else 'now ignore'} bug {bug.id}: no mail about "
              "it reaches you (your mail preferences list the bugs you ignore).", "success")
    else:
        flash(f"You will get mail about bug {bug.id} again.", "success")
    back = request.form.get("next", "")
    return redirect(back if back == url_for("notifications.prefs")
                    else url_for("bugs.show", bug_id=bug.id))
