"""Bugs: revision numbers on history rows and comments (mid-air collision page),
and the link from an "attachment created" comment to its attachment.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 19:39:44.460148

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bug_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_index('ix_bug_changes_bug_revision', ['bug_id', 'revision'], unique=False)

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('attachment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_comments_attachment_id'), ['attachment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_comments_attachment_id_attachments'), 'attachments', ['attachment_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comments_attachment_id_attachments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_comments_attachment_id'))
        batch_op.drop_column('attachment_id')
        batch_op.drop_column('revision')

    with op.batch_alter_table('bug_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_bug_changes_bug_revision')
        batch_op.drop_column('revision')

