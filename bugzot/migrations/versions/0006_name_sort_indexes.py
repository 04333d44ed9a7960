"""Lists: (product_id, id), (component_id, id) and (assignee_id, id) indexes.

A list sorted by product, component or assignee name takes, on PostgreSQL, the
first page's worth of bugs of every product, component or assignee in id order
and keeps the best of them (``bugzot.search.query``); these indexes give each
one's bugs in id order. They replace the single-column indexes on the same keys,
which they serve as well.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEYS = ("product_id", "component_id", "assignee_id")


def upgrade():
    for key in KEYS:
        op.create_index(f"ix_bugs_{key}_id", "bugs", [key, "id"])
        op.drop_index(f"ix_bugs_{key}", table_name="bugs")


def downgrade():
    for key in KEYS:
        op.create_index(f"ix_bugs_{key}", "bugs", [key])
        op.drop_index(f"ix_bugs_{key}_id", table_name="bugs")
