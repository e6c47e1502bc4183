"""advocates' on-duty switch, roster hours and open-chat limit; hand-off counts

Revision ID: 0004_advocate_duty
Revises: 0004_usage_count_unordered
Create Date: 2026-12-02 15:00:00
"""

from alembic import op
import sqlalchemy as sa
import resources_db.models.base


revision = '0004_advocate_duty'
down_revision = '0004_usage_count_unordered'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('advocate_duty',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('display_name', sa.String(length=40), nullable=False),
    sa.Column('roster_hours', sa.String(length=200), nullable=False),
    sa.Column('roster_timezone', sa.String(length=64), nullable=False),
    sa.Column('max_open_chats', sa.Integer(), nullable=False),
    sa.Column('updated_at', resources_db.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_advocate_duty_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_advocate_duty'))
    )
    op.create_table('handoff_count',
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('bucket', sa.String(length=24), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('week', 'channel', 'event', 'bucket', name=op.f('pk_handoff_count')),
    sqlite_with_rowid=False,
    )

def downgrade() -> None:
    op.drop_table('handoff_count')
    op.drop_table('advocate_duty')
