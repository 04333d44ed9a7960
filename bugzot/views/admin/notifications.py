"""Admin pages for outgoing mail and webhooks (``admin.notifications``): the queue's
counts and its failed messages (retry or discard them), and webhook endpoints with each
one's delivery log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from bugzot import permissions
from bugzot.extensions import db
from bugzot.forms.admin import ConfirmForm
from bugzot.forms.notifications import WebhookForm
from bugzot.models import Webhook
from bugzot.permissions import require
from bugzot.services import notifications, outbox
from bugzot.services.read import catalogue
from bugzot.services.read import notifications as settings
from bugzot.views.admin.common import attempt, bp, form_page

MANAGE = permissions.ADMIN_NOTIFICATIONS


@bp.route("/mail", methods=["GET", "POST"])
@require(MANAGE)
def mail():
    """How much mail waits, and the messages that gave up: retry or discard them."""
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "The form expired. Reload the page and try again.")
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        if request.form.get("action") == "retry":
            flash(f"{outbox.retry(current_user, ids)} message(s) will be sent again.", "success")
        elif request.form.get("action") == "discard":
            flash(f"{outbox.discard(current_user, ids)} message(s) discarded.", "success")
        else:
            abort(400, "Unknown action.")
        return redirect(url_for("admin.mail"))
    return render_template("admin/mail.html", form=form, counts=settings.queue_counts(current_user),
                           failed=settings.failed_messages(current_user))


def _product_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Every product")] + [
        SelectChoice(p.name, p.name) for p in catalogue.products()]


@bp.get("/webhooks")
@require(MANAGE)
def webhooks():
    """The registered endpoints."""
    return render_template("admin/webhooks.html", hooks=settings.webhooks(current_user),
                           kinds=settings.WEBHOOK_KINDS)


@bp.route("/webhooks/new", methods=["GET", "POST"])
@require(MANAGE)
def webhook_new():
    """Register an endpoint."""
    form = WebhookForm()
    form.product.choices = _product_choices()
    if request.method == "GET":
        form.kinds.data = list(settings.WEBHOOK_KINDS)
    if attempt(form, lambda: notifications.save_webhook(current_user, None, form.to_edit())):
        flash(f"Webhook {form.name.data.strip()} registered; open it to see its secret.", "success")
        return redirect(url_for("admin.webhooks"))
    return form_page(form, "New webhook", url_for("admin.webhooks"), "Register")


@bp.route("/webhooks/<int:webhook_id>", methods=["GET", "POST"])
@require(MANAGE)
def webhook_edit(webhook_id: int):
    """Change an endpoint; its secret is shown here (the receiver needs it)."""
    hook = db.get_or_404(Webhook, webhook_id)
    form = WebhookForm(obj=hook if request.method == "GET" else None)
    form.product.choices = _product_choices()
    if request.method == "GET":
        form.secret.data = ""
        form.product.data = hook.product.name if hook.product else ""
        form.kinds.data = hook.kinds.split()
    if attempt(form, lambda: notifications.save_webhook(current_user, hook, form.to_edit())):
        flash(f"Webhook {hook.name} saved.", "success")
        return redirect(url_for("admin.webhooks"))
    return render_template("admin/webhook_edit.html", form=form, hook=hook,
                           confirm=ConfirmForm(formdata=None))


@bp.post("/webhooks/<int:webhook_id>/delete")
@require(MANAGE)
def webhook_delete(webhook_id: int):
    """Remove an endpoint and its delivery log."""
    hook = db.get_or_404(Webhook, webhook_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    notifications.delete_webhook(current_user, hook)
    flash(f"Webhook {hook.name} removed.", "success")
    return redirect(url_for("admin.webhooks"))


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@require(MANAGE)
def webhook_log(webhook_id: int):
    """The newest deliveries to one endpoint: when, what, answer, attempts, error."""
    hook = db.get_or_404(Webhook, webhook_id)
    return render_template("admin/webhook_log.html", hook=hook, form=ConfirmForm(),
                           deliveries=settings.deliveries(current_user, hook.id))
