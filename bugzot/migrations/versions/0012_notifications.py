"""Notifications: the outbox (bug mail, account mail, webhook deliveries), mail
preferences, ignored bugs, component watches, webhook endpoints; the permission
admin.notifications (failed mail and webhooks) for the built-in Admin role.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

from bugzot.migrations.grants import grant, revoke

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("kinds", sa.String(255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("to_address", sa.String(254), nullable=True),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("bug_id", sa.Integer(), sa.ForeignKey("bugs.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("first_revision", sa.Integer(), nullable=True),
        sa.Column("last_revision", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.String(64), nullable=False),
        sa.Column("changes", sa.String(64), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
    )
    op.create_index("ix_outbox_status_due", "outbox", ["status", "due_at"])
    op.create_index("ix_outbox_user_bug", "outbox", ["user_id", "bug_id"])
    op.create_index("ix_outbox_webhook_id", "outbox", ["webhook_id", "id"])
    op.create_index("ix_outbox_bug_id", "outbox", ["bug_id"])
    op.create_table(
        "notification_prefs",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("enabled", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(8), nullable=False),
        sa.Column("own_changes", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "bug_ignores",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("bug_id", sa.Integer(), sa.ForeignKey("bugs.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_index("ix_bug_ignores_bug_id", "bug_ignores", ["bug_id"])
    op.create_table(
        "component_watches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("component_id", sa.Integer(),
                  sa.ForeignKey("components.id", ondelete="CASCADE"), nullable=True),
    )
    op.create_index("ix_component_watches_user_id", "component_watches", ["user_id"])
    op.create_index("ix_component_watches_product", "component_watches",
                    ["product_id", "component_id"])
    grant("admin.notifications", "Admin")


def downgrade():
    revoke("admin.notifications", "Admin")
    op.drop_table("component_watches")
    op.drop_table("bug_ignores")
    op.drop_table("notification_prefs")
    op.drop_table("outbox")
    op.drop_table("webhooks")
