"""Permissions: bug.confirm (moving a bug from UNCONFIRMED to NEW) for the built-in
Employee, Supervisor and Admin roles, which held it through bug.status before.

Revision ID: 0008
Revises: 0007
"""
from bugzot.migrations.grants import grant, revoke

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROLES = ("Employee", "Supervisor", "Admin")


def upgrade():
    grant("bug.confirm", *ROLES)


def downgrade():
    revoke("bug.confirm", *ROLES)
