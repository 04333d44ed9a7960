"""Notifications: the outbox of messages to send, and what people and admins asked for.

* ``OutboxMessage``: one row per message still to send or already handled, written in
  the same transaction as the change that causes it. Three kinds share the table (the
  worker claims them the same way): ``mail`` (account mail and other ready-made mail:
  recipient, subject and body stored), ``bug`` (one recipient's bug mail or digest
  entry, rendered when sent, with that recipient's permissions then) and ``webhook``
  (one delivery to a registered endpoint, its JSON built when sent).
* ``NotificationPrefs``: a user's matrix of role x kind of change, digest mode and
  whether they hear about their own changes (no row: the defaults).
* ``BugIgnore``: "ignore this bug"; ``ComponentWatch``: a user watching a product's
  component (``component_id`` None: the whole product).
* ``Webhook``: an endpoint an admin registered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bugzot.extensions import db
from bugzot.models.base import UTCDateTime, utcnow
from bugzot.models.products import Component, Product
from bugzot.models.users import User


class OutboxMessage(db.Model):
    """A message to send (``status`` pending) or one already handled.

    ``due_at`` is when it may be sent next (a bug mail waits out the coalescing window or
    its digest's hour; a failed attempt waits out its backoff). A worker claims a row by
    writing its ``claim_token`` and a lease (``claimed_until``); a lease that ran out
    (the worker died) frees the row again.
    """

    __tablename__ = "outbox"

    KIND_MAIL, KIND_BUG, KIND_WEBHOOK = "mail", "bug", "webhook"
    PENDING, SENT, FAILED, DISCARDED, SKIPPED = "pending", "sent", "failed", "discarded", "skipped"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # kind "mail": the message itself (the body is blanked once sent: it may hold a key)
    to_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    # kind "bug": who hears about which saves of which bug, why, and about what
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    bug_id: Mapped[int | None] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"),
                                               index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_revision: Mapped[int | None] = mapped_column()
    last_revision: Mapped[int | None] = mapped_column()
    reasons: Mapped[str] = mapped_column(String(64), default="")  # e.g. "assignee cc"
    changes: Mapped[str] = mapped_column(String(64), default="")  # kinds the recipient wants
    digest: Mapped[bool] = mapped_column(default=False)
    # kind "webhook"
    webhook_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"))
    response_status: Mapped[int | None] = mapped_column()

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    webhook: Mapped[Webhook | None] = relationship()

    __table_args__ = (
        # The worker's claim walks pending rows by due time.
        Index("ix_outbox_status_due", "status", "due_at"),
        # Coalescing finds the recipient's open mail about the bug.
        Index("ix_outbox_user_bug", "user_id", "bug_id"),
        # The delivery log of one endpoint, newest first.
        Index("ix_outbox_webhook_id", "webhook_id", "id"),
    )


class NotificationPrefs(db.Model):
    """One user's bug-mail settings; a user without a row has the defaults."""

    __tablename__ = "notification_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    # The matrix: the "role:kind" pairs that mail (space-separated).
    enabled: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(8), default="off")  # off, hourly, daily
    own_changes: Mapped[bool] = mapped_column(default=False)


class BugIgnore(db.Model):
    """``user_id`` gets no mail about ``bug_id`` whatever their role on it."""

    __tablename__ = "bug_ignores"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    bug_id: Mapped[int] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"),
                                        primary_key=True, index=True)


class ComponentWatch(db.Model):
    """``user_id`` hears about bugs in a component (or, without one, a whole product)."""

    __tablename__ = "component_watches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    component_id: Mapped[int | None] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"))

    product: Mapped[Product] = relationship()
    component: Mapped[Component | None] = relationship()

    __table_args__ = (Index("ix_component_watches_product", "product_id", "component_id"),)


class Webhook(db.Model):
    """An endpoint that receives a signed JSON POST for each matching public change."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    # None: every product.
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    kinds: Mapped[str] = mapped_column(String(255), default="")  # space-separated event kinds
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product | None] = relationship()
