"""merge: per-case keys (0010) and the second factor, evidence and misanswered questions (0011-0014), made side by side

Revision ID: 0015
Revises: 0010, 0014
Create Date: 2026-12-02
"""

revision = '0015'
down_revision = ('0010', '0014')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
