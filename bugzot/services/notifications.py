"""Notification settings: a user's bug-mail preferences, ignored bugs and component
watches, and the webhook endpoints admins register. One unit of work per function; each
checks who may do it. What the settings mean is on the read side
(``services.read.notifications``); the mail itself is ``services.outbox``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from bugzot import permissions, visibility
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.fields import find_component, find_product
from bugzot.models import (
    Bug,
    BugIgnore,
    ComponentWatch,
    NotificationPrefs,
    OutboxMessage,
    User,
    Webhook,
)
from bugzot.services import unit_of_work
from bugzot.services.read.notifications import DIGESTS, KINDS, ROLES, WEBHOOK_KINDS

PAIRS = frozenset(f"{role}:{kind}" for role in ROLES for kind in KINDS)


@dataclass(frozen=True)
class PrefsEdit:
    """A user's bug-mail settings as the preferences page sends them."""

    enabled: frozenset[str]  # "role:kind" pairs that mail
    digest: str = "off"
    own_changes: bool = False


def save_prefs(user: User, edit: PrefsEdit) -> None:
    """Save ``user``'s own bug-mail settings."""
    unknown = set(edit.enabled) - PAIRS
    if unknown:
        raise ServiceError(f"Unknown notification settings: {', '.join(sorted(unknown))}.",
                           "enabled")
    if edit.digest not in DIGESTS:
        raise ServiceError("Choose how often to get bug mail.", "digest")
    with unit_of_work():
        row = db.session.get(NotificationPrefs, user.id)
        if row is None:
            row = NotificationPrefs(user_id=user.id)
            db.session.add(row)
        row.enabled = " ".join(sorted(edit.enabled))
        row.digest = edit.digest
        row.own_changes = bool(edit.own_changes)


def set_ignored(user: User, bug: Bug, ignored: bool) -> None:
    """Stop (or start again) all mail to ``user`` about ``bug``."""
    if not getattr(user, "is_authenticated", False) or not visibility.can_see_bug(user, bug):
        raise ServiceError(f"Bug {bug.id} does not exist or you may not see it.")
    with unit_of_work():
        row = db.session.get(BugIgnore, (user.id, bug.id))
        if ignored and row is None:
            db.session.add(BugIgnore(user_id=user.id, bug_id=bug.id))
        elif not ignored and row is not None:
            db.session.delete(row)


def add_watch(user: User, product_name: str, component_name: str = "") -> ComponentWatch:
    """Watch a component of a product (no component: the whole product)."""
    permissions.check(user, permissions.BUG_VIEW, "You may not watch bugs.")
    product = find_product(product_name)
    component = find_component(product, component_name) if component_name.strip() else None
    component_id = component.id if component else None
    taken = db.session.scalar(select(ComponentWatch.id).where(
        ComponentWatch.user_id == user.id, ComponentWatch.product_id == product.id,
        ComponentWatch.component_id.is_(None) if component_id is None
        else ComponentWatch.component_id == component_id))
    if taken:
        raise ServiceError("You already watch that.", "component")
    with unit_of_work():
        watch = ComponentWatch(user_id=user.id, product_id=product.id, component_id=component_id)
        db.session.add(watch)
    return watch


def remove_watch(user: User, watch_id: int) -> None:
    """Stop watching (one of ``user``'s own watches)."""
    watch = db.session.get(ComponentWatch, watch_id)
    if watch is None or watch.user_id != user.id:
        raise ServiceError("You do not watch that.")
    with unit_of_work():
        db.session.delete(watch)


# -- webhooks (admin.notifications) --------------------------------------------------------
@dataclass(frozen=True)
class WebhookEdit:
    """An endpoint as the admin form sends it; an empty ``secret`` keeps the current one
    (a new endpoint gets a random one)."""

    name: str
    url: str
    kinds: frozenset[str]
    product: str = ""  # a product's name, or "" for every product
    secret: str = ""
    is_active: bool = True


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ServiceError("Give the endpoint's full http:// or https:// address.", "url")
    return url


def save_webhook(acting: Any, webhook: Webhook | None, edit: WebhookEdit) -> Webhook:
    """Register a new endpoint (``webhook`` None) or change one."""
    permissions.check(acting, permissions.ADMIN_NOTIFICATIONS, "You may not manage webhooks.")
    name = " ".join(edit.name.split())
    if not name or len(name) > 64:
        raise ServiceError("Give the endpoint a name of at most 64 characters.", "name")
    url = _check_url(edit.url)
    if not edit.kinds or set(edit.kinds) - set(WEBHOOK_KINDS):
        raise ServiceError("Choose at least one kind of event.", "kinds")
    secret = edit.secret.strip()
    if len(secret) > 128 or (secret and len(secret) < 16):
        raise ServiceError("A secret is 16 to 128 characters (leave it empty to keep it, or "
                           "to have one made for a new endpoint).", "secret")
    product_id = find_product(edit.product).id if edit.product.strip() else None
    with unit_of_work():
        if webhook is None:
            webhook = Webhook(secret=secret or secrets.token_hex(24))
            db.session.add(webhook)
        elif secret:
            webhook.secret = secret
        webhook.name, webhook.url, webhook.product_id = name, url, product_id
        webhook.kinds = " ".join(k for k in WEBHOOK_KINDS if k in edit.kinds)
        webhook.is_active = edit.is_active
    return webhook


def delete_webhook(acting: Any, webhook: Webhook) -> None:
    """Remove an endpoint with its delivery log (pending deliveries are dropped)."""
    permissions.check(acting, permissions.ADMIN_NOTIFICATIONS, "You may not manage webhooks.")
    with unit_of_work():
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.webhook_id == webhook.id),
                           execution_options={"synchronize_session": False})
        db.session.delete(webhook)
