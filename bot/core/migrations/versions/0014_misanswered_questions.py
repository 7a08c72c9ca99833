"""unanswered_questions: misanswered flag and the answer given ("Did this help?" → No)

Revision ID: 0014
Revises: 0013 (given as 0009; re-chained after merging main, which brought 0011)
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('misanswered', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('answer_enc', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.drop_column('answer_enc')
        batch_op.drop_column('misanswered')
