"""one counter table: throttle_counters dropped (its keys named accounts in plaintext)

The binding-code and case look-up throttles now count in rate_buckets, under keyed hashes like
the per-contact rate limit. Counts in progress start again (windows are an hour at most).

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import bot.core.models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('throttle_counters')


def downgrade() -> None:
    op.create_table(
        'throttle_counters',
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('window_start', bot.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counters')),
    )
