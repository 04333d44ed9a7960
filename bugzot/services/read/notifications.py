"""Reading notification settings and the outbox: what the preferences mean (roles on a
bug x kinds of change, with the defaults), each user's settings, ignored bugs, component
watchers, webhook endpoints, and the admin views of failed mail and delivery logs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from bugzot import permissions
from bugzot.exceptions import Forbidden
from bugzot.extensions import db
from bugzot.models import (
    BugIgnore,
    ComponentWatch,
    NotificationPrefs,
    OutboxMessage,
    Webhook,
)
from bugzot.services.read.bugs import bugs_by_id

# Roles a user can have on a bug, and the kinds of change a save can make (labels for
# the preferences page). A save mails a user when one of their roles has one of its kinds
# of change switched on.
ROLES = {"reporter": "Reporter", "assignee": "Assignee", "qa": "QA contact", "cc": "CC",
         "watcher": "Component watcher"}
KINDS = {"new": "New bug", "comment": "New comment", "status": "Status or resolution",
         "fields": "Other fields", "attachment": "Attachments", "cc": "CC list"}
# Everything but CC-list changes for the people on the bug; watchers hear of new bugs,
# comments and status changes only (watching a busy component must stay bearable).
DEFAULT_ENABLED = frozenset(
    {f"{role}:{kind}" for role in ("reporter", "assignee", "qa", "cc") for kind in KINDS
     if kind != "cc"} | {"watcher:new", "watcher:comment", "watcher:status"})
DIGESTS = {"off": "Each change as it happens", "hourly": "One mail per hour",
           "daily": "One mail per day"}
# Event kinds a webhook may subscribe to.
WEBHOOK_KINDS = {"bug.filed": "Bug filed", "bug.changed": "Fields or status changed",
                 "comment.added": "Public comment added",
                 "attachment.added": "Public attachment added"}


@dataclass(frozen=True)
class Prefs:
    """One user's bug-mail settings."""

    enabled: frozenset[str] = DEFAULT_ENABLED
    digest: str = "off"
    own_changes: bool = False

    def wants(self, roles: Iterable[str], kinds: Iterable[str]) -> frozenset[str]:
        """The ``kinds`` that one of ``roles`` has switched on."""
        roles = tuple(roles)
        return frozenset(k for k in kinds if any(f"{r}:{k}" in self.enabled for r in roles))


DEFAULTS = Prefs()


def _prefs(row: NotificationPrefs | None) -> Prefs:
    if row is None:
        return DEFAULTS
    return Prefs(frozenset(row.enabled.split()), row.digest, row.own_changes)


def prefs_of(user_ids: Iterable[int]) -> dict[int, Prefs]:
    """The settings of each of ``user_ids`` (defaults for those who saved none)."""
    ids = sorted(set(user_ids))
    rows = {r.user_id: r for r in db.session.scalars(
        select(NotificationPrefs).where(NotificationPrefs.user_id.in_(ids)))} if ids else {}
    return {i: _prefs(rows.get(i)) for i in ids}


def ignoring(bug_id: int, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who ignore bug ``bug_id``."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    return set(db.session.scalars(select(BugIgnore.user_id).where(
        BugIgnore.bug_id == bug_id, BugIgnore.user_id.in_(ids))))


def is_ignored(user: Any, bug_id: int) -> bool:
    """True when ``user`` (logged in) ignores bug ``bug_id``."""
    if not getattr(user, "is_authenticated", False) or user.id is None:
        return False
    return bool(ignoring(bug_id, [user.id]))


def ignored_bugs(user: Any) -> list[Any]:
    """The bugs ``user`` ignores that they may still see, by number."""
    ids = db.session.scalars(select(BugIgnore.bug_id).where(BugIgnore.user_id == user.id)).all()
    return list(bugs_by_id(user, ids).values())


def watchers(pairs: Iterable[tuple[int, int]]) -> set[int]:
    """The users watching any of the (product id, component id) ``pairs``, either the
    component or its whole product."""
    clauses = [(ComponentWatch.product_id == p) & or_(ComponentWatch.component_id.is_(None),
                                                      ComponentWatch.component_id == c)
               for p, c in set(pairs)]
    if not clauses:
        return set()
    return set(db.session.scalars(select(ComponentWatch.user_id).where(or_(*clauses))))


def watches_of(user: Any) -> list[ComponentWatch]:
    """What ``user`` watches, by product and component name."""
    return sorted(db.session.scalars(
        select(ComponentWatch).where(ComponentWatch.user_id == user.id).options(
            joinedload(ComponentWatch.product), joinedload(ComponentWatch.component))),
        key=lambda w: (w.product.name, w.component.name if w.component else ""))


# -- webhooks and the outbox (admins) ---------------------------------------------------
def webhooks_for(product_id: int) -> list[Webhook]:
    """The active endpoints that hear about bugs of product ``product_id``."""
    return list(db.session.scalars(select(Webhook).where(
        Webhook.is_active.is_(True),
        or_(Webhook.product_id.is_(None), Webhook.product_id == product_id))
        .order_by(Webhook.id)))


def _check_admin(acting: Any) -> None:
    if not permissions.can(acting, permissions.ADMIN_NOTIFICATIONS):
        raise Forbidden("You may not manage mail and webhooks.")


def webhooks(acting: Any) -> list[Webhook]:
    """Every endpoint, by name (admins)."""
    _check_admin(acting)
    return list(db.session.scalars(select(Webhook).options(joinedload(Webhook.product))
                                   .order_by(Webhook.name, Webhook.id)))


def deliveries(acting: Any, webhook_id: int, limit: int = 100) -> list[OutboxMessage]:
    """The newest deliveries to one endpoint (admins)."""
    _check_admin(acting)
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.webhook_id == webhook_id).order_by(OutboxMessage.id.desc()).limit(limit)))


def failed_messages(acting: Any, limit: int = 200) -> list[OutboxMessage]:
    """Messages that gave up, newest first (admins)."""
    _check_admin(acting)
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == OutboxMessage.FAILED).options(joinedload(OutboxMessage.user))
        .order_by(OutboxMessage.id.desc()).limit(limit)))


def queue_counts(acting: Any) -> dict[str, int]:
    """How many rows the outbox holds in each state (admins); pending ones that failed
    at least once count as "retrying"."""
    _check_admin(acting)
    counts = {s: 0 for s in ("pending", "retrying", "sent", "skipped", "failed", "discarded")}
    counts |= dict(db.session.execute(select(OutboxMessage.status, func.count())
                                      .group_by(OutboxMessage.status)).all())
    counts["retrying"] = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OutboxMessage.PENDING, OutboxMessage.last_error != "")) or 0
    counts["pending"] -= counts["retrying"]
    return counts
