"""Lists: indexes for sorting by status, severity and priority in workflow order.

A list sorted by one of these orders by ``CASE <field> WHEN <first value> THEN 0
... END, id`` (``bugzot.models.bugs.workflow_order``). Without an index on that
expression every sort sorted all the matching bugs (~1 s at a million); with one
the page walks the index and stops after 51 rows, and keyset pages deep in the
list cost what the first does. The expressions are written out here as they were
when this migration was made (a later change to a vocabulary needs a migration
that re-creates its index); ``tests/test_lists.py`` checks that the planner uses
them on both databases.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

VALUES = {
    "status": ("UNCONFIRMED", "NEW", "ASSIGNED", "REOPENED", "RESOLVED", "VERIFIED", "CLOSED"),
    "severity": ("blocker", "critical", "major", "normal", "minor", "trivial", "enhancement"),
    "priority": ("P1", "P2", "P3", "P4", "P5"),
}


def _order(field: str) -> str:
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(VALUES[field]))
    return f"CASE {field} {whens} ELSE {len(VALUES[field])} END"


def upgrade():
    for field in VALUES:
        op.create_index(f"ix_bugs_{field}_order", "bugs", [sa.text(f"({_order(field)})"), "id"])


def downgrade():
    for field in VALUES:
        op.drop_index(f"ix_bugs_{field}_order", table_name="bugs")
