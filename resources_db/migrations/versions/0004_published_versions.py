"""published versions of intent rules and reply texts (the console's publish and restore)

Revision ID: 0004_published_versions
Revises: 0004_usage_count_unordered
Create Date: 2026-12-02 15:05:00
"""

from alembic import op
import sqlalchemy as sa
import resources_db.models.base


revision = '0004_published_versions'
down_revision = '0004_partner_network'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('published_version',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', resources_db.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('replies', sa.JSON(), nullable=False),
    sa.Column('diff', sa.Text(), nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_published_version_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_published_version'))
    )


def downgrade() -> None:
    op.drop_table('published_version')
