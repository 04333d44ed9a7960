"""Foundation: accounts, roles, product catalogue, bugs and their comments,
attachments, CC, dependencies and history.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 19:37:49.585901

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('classifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sortkey', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classifications')),
    sa.UniqueConstraint('name', name=op.f('uq_classifications_name'))
    )
    op.create_table('roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_builtin', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roles')),
    sa.UniqueConstraint('name', name=op.f('uq_roles_name'))
    )
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('classification_id', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('allows_unconfirmed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['classification_id'], ['classifications.id'], name=op.f('fk_products_classification_id_classifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('name', name=op.f('uq_products_name'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_classification_id'), ['classification_id'], unique=False)

    op.create_table('role_permissions',
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('permission', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_role_permissions_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', 'permission', name=op.f('pk_role_permissions'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('real_name', sa.String(length=128), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_users_role_id_roles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_is_active'), ['is_active'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_role_id'), ['role_id'], unique=False)

    op.create_table('activation_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('new_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activation_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_activation_keys_key_hash'))
    )
    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_keys_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_activation_keys_user_kind', ['user_id', 'kind'], unique=False)

    op.create_table('components',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('default_assignee_id', sa.Integer(), nullable=True),
    sa.Column('default_qa_contact_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['default_assignee_id'], ['users.id'], name=op.f('fk_components_default_assignee_id_users')),
    sa.ForeignKeyConstraint(['default_qa_contact_id'], ['users.id'], name=op.f('fk_components_default_qa_contact_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_components_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_components')),
    sa.UniqueConstraint('product_id', 'name', name=op.f('uq_components_product_id_name'))
    )
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_components_default_assignee_id'), ['default_assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_components_default_qa_contact_id'), ['default_qa_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_components_product_id'), ['product_id'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('sortkey', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_milestones_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones')),
    sa.UniqueConstraint('product_id', 'value', name=op.f('uq_milestones_product_id_value'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_product_id'), ['product_id'], unique=False)

    op.create_table('versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_versions_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_versions')),
    sa.UniqueConstraint('product_id', 'value', name=op.f('uq_versions_product_id_value'))
    )
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_versions_product_id'), ['product_id'], unique=False)

    op.create_table('bugs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('op_sys', sa.String(length=32), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('qa_contact_id', sa.Integer(), nullable=True),
    sa.Column('dup_of_id', sa.Integer(), nullable=True),
    sa.Column('is_private', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_bugs_assignee_id_users')),
    sa.ForeignKeyConstraint(['component_id'], ['components.id'], name=op.f('fk_bugs_component_id_components')),
    sa.ForeignKeyConstraint(['dup_of_id'], ['bugs.id'], name=op.f('fk_bugs_dup_of_id_bugs')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_bugs_milestone_id_milestones')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_bugs_product_id_products')),
    sa.ForeignKeyConstraint(['qa_contact_id'], ['users.id'], name=op.f('fk_bugs_qa_contact_id_users')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_bugs_reporter_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_bugs_version_id_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bugs'))
    )
    with op.batch_alter_table('bugs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bugs_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_component_id'), ['component_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_dup_of_id'), ['dup_of_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_priority'), ['priority'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_product_id'), ['product_id'], unique=False)
        batch_op.create_index('ix_bugs_product_status', ['product_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_qa_contact_id'), ['qa_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_resolution'), ['resolution'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index('ix_bugs_updated_id', ['updated_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bugs_version_id'), ['version_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bug_id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('is_patch', sa.Boolean(), nullable=False),
    sa.Column('is_private', sa.Boolean(), nullable=False),
    sa.Column('is_obsolete', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bug_id'], ['bugs.id'], name=op.f('fk_attachments_bug_id_bugs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_attachments_uploader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_bug_id'), ['bug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_uploader_id'), ['uploader_id'], unique=False)

    op.create_table('bug_cc',
    sa.Column('bug_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bug_id'], ['bugs.id'], name=op.f('fk_bug_cc_bug_id_bugs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bug_cc_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('bug_id', 'user_id', name=op.f('pk_bug_cc'))
    )
    with op.batch_alter_table('bug_cc', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bug_cc_user_id'), ['user_id'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bug_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('is_private', sa.Boolean(), nullable=False),
    sa.Column('is_hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users')),
    sa.ForeignKeyConstraint(['bug_id'], ['bugs.id'], name=op.f('fk_comments_bug_id_bugs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments')),
    sa.UniqueConstraint('bug_id', 'number', name=op.f('uq_comments_bug_id_number'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_bug_id'), ['bug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_created_at'), ['created_at'], unique=False)

    op.create_table('dependencies',
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('dependson_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['blocked_id'], ['bugs.id'], name=op.f('fk_dependencies_blocked_id_bugs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dependson_id'], ['bugs.id'], name=op.f('fk_dependencies_dependson_id_bugs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blocked_id', 'dependson_id', name=op.f('pk_dependencies'))
    )
    with op.batch_alter_table('dependencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dependencies_dependson_id'), ['dependson_id'], unique=False)

    op.create_table('bug_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bug_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=False),
    sa.Column('new_value', sa.Text(), nullable=False),
    sa.Column('is_private', sa.Boolean(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], name=op.f('fk_bug_changes_attachment_id_attachments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['bug_id'], ['bugs.id'], name=op.f('fk_bug_changes_bug_id_bugs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_bug_changes_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bug_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bug_changes'))
    )
    with op.batch_alter_table('bug_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bug_changes_bug_id'), ['bug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bug_changes_changed_at'), ['changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bug_changes_user_id'), ['user_id'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('bug_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bug_changes_user_id'))
        batch_op.drop_index(batch_op.f('ix_bug_changes_changed_at'))
        batch_op.drop_index(batch_op.f('ix_bug_changes_bug_id'))

    op.drop_table('bug_changes')
    with op.batch_alter_table('dependencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dependencies_dependson_id'))

    op.drop_table('dependencies')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_created_at'))
        batch_op.drop_index(batch_op.f('ix_comments_bug_id'))
        batch_op.drop_index(batch_op.f('ix_comments_author_id'))

    op.drop_table('comments')
    with op.batch_alter_table('bug_cc', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bug_cc_user_id'))

    op.drop_table('bug_cc')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_uploader_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachments_bug_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('bugs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bugs_version_id'))
        batch_op.drop_index('ix_bugs_updated_id')
        batch_op.drop_index(batch_op.f('ix_bugs_updated_at'))
        batch_op.drop_index(batch_op.f('ix_bugs_status'))
        batch_op.drop_index(batch_op.f('ix_bugs_severity'))
        batch_op.drop_index(batch_op.f('ix_bugs_resolution'))
        batch_op.drop_index(batch_op.f('ix_bugs_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_bugs_qa_contact_id'))
        batch_op.drop_index('ix_bugs_product_status')
        batch_op.drop_index(batch_op.f('ix_bugs_product_id'))
        batch_op.drop_index(batch_op.f('ix_bugs_priority'))
        batch_op.drop_index(batch_op.f('ix_bugs_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_bugs_dup_of_id'))
        batch_op.drop_index(batch_op.f('ix_bugs_created_at'))
        batch_op.drop_index(batch_op.f('ix_bugs_component_id'))
        batch_op.drop_index(batch_op.f('ix_bugs_assignee_id'))

    op.drop_table('bugs')
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_versions_product_id'))

    op.drop_table('versions')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_product_id'))

    op.drop_table('milestones')
    with op.batch_alter_table('components', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_components_product_id'))
        batch_op.drop_index(batch_op.f('ix_components_default_qa_contact_id'))
        batch_op.drop_index(batch_op.f('ix_components_default_assignee_id'))

    op.drop_table('components')
    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_activation_keys_user_kind')
        batch_op.drop_index(batch_op.f('ix_activation_keys_user_id'))

    op.drop_table('activation_keys')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role_id'))
        batch_op.drop_index(batch_op.f('ix_users_is_active'))

    op.drop_table('users')
    op.drop_table('role_permissions')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_classification_id'))

    op.drop_table('products')
    op.drop_table('roles')
    op.drop_table('classifications')
    
