"""case stats opened, closed and first-response seconds; unanswered questions by date

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:28:41.600947
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

STATS = sa.table('case_stats', sa.column('id', sa.Integer), sa.column('cases', sa.Integer),
                 sa.column('opened', sa.Integer), sa.column('closed', sa.Integer),
                 sa.column('first_response_minutes', sa.Text), sa.column('first_response_seconds', sa.Text))


def upgrade() -> None:
    with op.batch_alter_table('case_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('closed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('first_response_seconds', sa.Text(), nullable=False, server_default='[]'))
    # Rows kept by earlier releases: every purged case was closed, but the week it closed was not
    # recorded, so it counts as closed in the week it was opened; minutes become seconds.
    conn = op.get_bind()
    for row in conn.execute(sa.select(STATS.c.id, STATS.c.cases, STATS.c.first_response_minutes)).all():
        seconds = sorted(int(m) * 60 for m in json.loads(row.first_response_minutes or "[]"))
        conn.execute(STATS.update().where(STATS.c.id == row.id).values(
            opened=row.cases, closed=row.cases, first_response_seconds=json.dumps(seconds)))
    with op.batch_alter_table('case_stats', schema=None) as batch_op:
        batch_op.drop_column('first_response_minutes')
        batch_op.drop_column('cases')

    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unanswered_questions_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unanswered_questions_created_at'))

    with op.batch_alter_table('case_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cases', sa.INTEGER(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('first_response_minutes', sa.TEXT(), nullable=False, server_default='[]'))
    conn = op.get_bind()
    for row in conn.execute(sa.select(STATS.c.id, STATS.c.opened, STATS.c.first_response_seconds)).all():
        minutes = sorted(int(s) // 60 for s in json.loads(row.first_response_seconds or "[]"))
        conn.execute(STATS.update().where(STATS.c.id == row.id).values(
            cases=row.opened, first_response_minutes=json.dumps(minutes)))
    with op.batch_alter_table('case_stats', schema=None) as batch_op:
        batch_op.drop_column('first_response_seconds')
        batch_op.drop_column('closed')
        batch_op.drop_column('opened')
