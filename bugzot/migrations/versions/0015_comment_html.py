"""Comments keep their HTML: ``comments.body_html`` is the body rendered by
``bugzot.markup.stored_html`` when it was written, ``body_html_version`` the renderer
version that wrote it (pages render live whatever an older or no renderer stored).
Existing comments are rendered here, in batches.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    from bugzot.services.bugs.comments import render_stored_html

    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("body_html", sa.Text(), nullable=True))
        batch.add_column(sa.Column("body_html_version", sa.Integer(), nullable=True))
    render_stored_html(op.get_bind())


def downgrade():
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("body_html_version")
        batch.drop_column("body_html")
