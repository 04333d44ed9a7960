"""Accounts: where each account comes from (local, directory or sso).

Existing accounts are BugZot's own ("local"). Directory and single sign-on logins
(services/directory.py, services/sso.py) create "directory" and "sso" accounts.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("account_source", sa.String(16), nullable=False,
                                   server_default="local"))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("account_source")
