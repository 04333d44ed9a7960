"""Lists: indexes for sorting by summary and by resolution.

Like 0005 and 0006: a list sorted by summary walks (summary, id), one sorted by
resolution walks (coalesce(resolution, ''), id), instead of sorting every
matching bug (~0.5 s at a million bugs).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_bugs_summary_id", "bugs", ["summary", "id"])
    op.create_index("ix_bugs_resolution_order", "bugs", [sa.text("(coalesce(resolution, ''))"), "id"])


def downgrade():
    op.drop_index("ix_bugs_resolution_order", table_name="bugs")
    op.drop_index("ix_bugs_summary_id", table_name="bugs")
