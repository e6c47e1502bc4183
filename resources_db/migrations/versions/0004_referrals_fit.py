"""listing: reported shelter space, ages served, eligibility and accessibility (HSDS 3.1)

Revision ID: 0004_referrals_fit
Revises: 0004_partner_network
Create Date: 2026-12-02 15:10:00
"""

from alembic import op
import sqlalchemy as sa
import resources_db.models.base


revision = '0004_referrals_fit'
down_revision = '0004_staff_session_version'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('beds_available', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('beds_total', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('capacity_updated_at',
                                      resources_db.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('minimum_age', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('maximum_age', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('eligibility', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('accessibility', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('listing', schema=None) as batch_op:
        for column in ('accessibility', 'eligibility', 'maximum_age', 'minimum_age',
                       'capacity_updated_at', 'beds_total', 'beds_available'):
            batch_op.drop_column(column)
