"""usage_count: no autoincrement id; the dimensions are the key (SQLite: WITHOUT ROWID)

Consecutive ids gave the order in which one conversation's turns were first counted.
The table is rebuilt without them: rows are copied in key order, so neither a column
nor the storage order says which came first.

Revision ID: 0004_usage_count_unordered
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_usage_count_unordered'
down_revision = '0003'
branch_labels = None
depends_on = None

DIMENSIONS = ('week', 'channel', 'intent', 'category', 'language', 'county', 'state', 'search')


def _dimension_columns():
    return [
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('intent', sa.String(length=40), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('county', sa.String(length=80), nullable=False),
        sa.Column('state', sa.String(length=2), nullable=False),
        sa.Column('search', sa.String(length=12), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        'usage_count_keyed', *_dimension_columns(),
        sa.PrimaryKeyConstraint(*DIMENSIONS, name='pk_usage_count_keyed'),
        sqlite_with_rowid=False,
    )
    columns = ', '.join(DIMENSIONS)
    op.execute(f'INSERT INTO usage_count_keyed ({columns}, count) '
               f'SELECT {columns}, count FROM usage_count ORDER BY {columns}')
    op.drop_table('usage_count')
    op.rename_table('usage_count_keyed', 'usage_count')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE usage_count RENAME CONSTRAINT pk_usage_count_keyed '
                   'TO pk_usage_count')


def downgrade() -> None:
    op.create_table(
        'usage_count_with_id', sa.Column('id', sa.Integer(), nullable=False),
        *_dimension_columns(),
        sa.PrimaryKeyConstraint('id', name='pk_usage_count_with_id'),
        sa.UniqueConstraint(*DIMENSIONS, name='uq_usage_count_dimensions_with_id'),
    )
    columns = ', '.join(DIMENSIONS)
    op.execute(f'INSERT INTO usage_count_with_id ({columns}, count) '
               f'SELECT {columns}, count FROM usage_count ORDER BY {columns}')
    op.drop_table('usage_count')
    op.rename_table('usage_count_with_id', 'usage_count')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE usage_count RENAME CONSTRAINT pk_usage_count_with_id '
                   'TO pk_usage_count')
        op.execute('ALTER TABLE usage_count RENAME CONSTRAINT uq_usage_count_dimensions_with_id '
                   'TO uq_usage_count_dimensions')
