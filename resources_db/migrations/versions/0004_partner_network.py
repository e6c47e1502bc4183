"""partner network: organization members, partner accounts, two-factor, audit notes,
listing owners, survivors' reports and beds

Revision ID: 0004_partner_network
Revises: 0004_usage_count_unordered (main's, which landed first)
"""

import uuid

from alembic import op
import sqlalchemy as sa
import resources_db.models.base


revision = '0004_partner_network'
down_revision = '0004_advocate_duty'
branch_labels = None
depends_on = None


def _organization_id(name: str) -> str:
    # The same formula as resources_db.listings_store.organization_id, frozen here.
    normalized = " ".join(name.lower().split())
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"harbor:organization:{normalized}"))


def upgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organization_id', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_account_organization_id'),
                              ['organization_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_user_account_organization_id_organization'), 'organization',
            ['organization_id'], ['id'], ondelete='RESTRICT')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=16), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organization_id', sa.String(length=160), nullable=False,
                                      server_default=''))
        batch_op.create_index(batch_op.f('ix_listing_organization_id'), ['organization_id'],
                              unique=False)

    # Existing listings get their owner from the organization text column (or the name).
    connection = op.get_bind()
    listing = sa.table('listing', sa.column('id'), sa.column('name'),
                       sa.column('organization'), sa.column('organization_id'))
    for listing_id, name, organization in connection.execute(
            sa.select(listing.c.id, listing.c.name, listing.c.organization)).all():
        connection.execute(
            listing.update().where(listing.c.id == listing_id)
            .values(organization_id=_organization_id(organization or name)))

    op.create_table('listing_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.String(length=100), nullable=False),
    sa.Column('organization_id', sa.String(length=160), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolved_at', resources_db.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=254), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_report'))
    )
    with op.batch_alter_table('listing_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_report_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_report_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_report_status'), ['status'], unique=False)
    op.create_table('listing_beds',
    sa.Column('listing_id', sa.String(length=100), nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('updated_at', resources_db.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_listing_beds'))
    )


def downgrade() -> None:
    op.drop_table('listing_beds')
    with op.batch_alter_table('listing_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_report_status'))
        batch_op.drop_index(batch_op.f('ix_listing_report_organization_id'))
        batch_op.drop_index(batch_op.f('ix_listing_report_listing_id'))
    op.drop_table('listing_report')
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_organization_id'))
        batch_op.drop_column('organization_id')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('method')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_account_organization_id_organization'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_account_organization_id'))
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('organization_id')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('member')
