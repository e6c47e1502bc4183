"""owed erasures every host sees (EXIT answered while the conversation store was away)

Revision ID: 0005_erase_everywhere
Revises: 0004_partner_network
"""

from alembic import op
import sqlalchemy as sa
import resources_db.models.base


revision = '0005_erase_everywhere'
down_revision = '0004_referrals_fit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('owed_erasure',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('created_at', resources_db.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_owed_erasure'))
    )


def downgrade() -> None:
    op.drop_table('owed_erasure')
