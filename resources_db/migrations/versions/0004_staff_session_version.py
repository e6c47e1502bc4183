"""staff session version: logout and password change end every copy of a session

Revision ID: 0004_staff_session_version
Revises: 0004_usage_count_unordered
Create Date: 2026-12-02 15:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_staff_session_version'
down_revision = '0004_published_versions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
