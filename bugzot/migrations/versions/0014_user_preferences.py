"""User preferences for the browser: time zone and the bug list's columns.

* ``users.time_zone``: an IANA name ("Europe/Paris"); empty means "not chosen yet",
  and pages use the browser's zone (sent by a small script) or UTC.
* ``users.list_columns``: the bug list's columns chosen in the column chooser, as a
  comma list of the field table's column names; empty means the default columns.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("list_columns", sa.String(255), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("list_columns")
        batch.drop_column("time_zone")
