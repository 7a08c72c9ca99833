"""per-case key pairs, staff key hierarchy, receipts as a keyed slow hash, no clear contact links

Existing cases: the receipt (from `reference_enc`, then dropped) is re-hashed with
`Secrets.receipt_hash` and wraps a new case key pair; the case's private key stays under the
server key (`private_by_server_enc`) until its queue has a key (`bot.services.keyring.
adopt_waiting_cases`: the first member of the queue, or `etp-bot keys migrate-cases`), and the
messages of those cases stay under the server key until then. `cases.contact_id` becomes
`contact_enc` + `contact_tag`; staff replies in the outbox lose their clear `contact_id` the same
way. Staff sessions end (they have no session key). Needs the server key when cases exist:
`etp-bot db upgrade` and `serve` pass it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
import base64

import sqlalchemy as sa
from alembic import context, op

import bot.core.models.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _add_columns() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('private_by_queue', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('private_by_server_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('private_by_receipt', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('receipt_salt', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('contact_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('contact_tag', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_contact_tag'), ['contact_tag'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_enc', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('contact_tag', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_contact_tag'), ['contact_tag'], unique=False)


def _create_tables() -> None:
    op.create_table('queue_keys',
    sa.Column('queue', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', bot.core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('queue', name=op.f('pk_queue_keys'))
    )
    op.create_table('queue_grants',
    sa.Column('queue', sa.String(length=16), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('private_sealed', sa.Text(), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=True),
    sa.Column('granted_at', bot.core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_queue_grants_staff_id_staff_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue', 'staff_id', name=op.f('pk_queue_grants'))
    )
    op.create_table('staff_keys',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('password_salt', sa.String(length=32), nullable=False),
    sa.Column('private_by_password', sa.Text(), nullable=False),
    sa.Column('private_by_recovery', sa.Text(), nullable=True),
    sa.Column('created_at', bot.core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_staff_keys_staff_id_staff_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_staff_keys'))
    )
    op.create_table('session_keys',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('private_wrapped', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['id_hash'], ['staff_sessions.id_hash'],
                            name=op.f('fk_session_keys_id_hash_staff_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_session_keys'))
    )


def _convert_rows(secrets) -> None:
    from bot.core import sealing

    conn = op.get_bind()
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('reference_enc', sa.Text),
                     sa.column('contact_id', sa.Integer), sa.column('ref_hash', sa.String),
                     sa.column('public_key', sa.String), sa.column('private_by_server_enc', sa.Text),
                     sa.column('private_by_receipt', sa.Text), sa.column('receipt_salt', sa.String),
                     sa.column('contact_enc', sa.Text), sa.column('contact_tag', sa.String))
    outbox = sa.table('outbox', sa.column('id', sa.Integer), sa.column('contact_id', sa.Integer),
                      sa.column('kind', sa.String), sa.column('contact_enc', sa.Text),
                      sa.column('contact_tag', sa.String))
    rows = conn.execute(sa.select(cases.c.id, cases.c.reference_enc, cases.c.contact_id)).all()
    replies = conn.execute(sa.select(outbox.c.id, outbox.c.contact_id).where(
        outbox.c.kind == 'staff_reply', outbox.c.contact_id.is_not(None))).all()
    for case_id, reference_enc, contact_id in rows:
        receipt = secrets.decrypt(reference_enc)  # stored in its canonical form
        public, private = sealing.new_key_pair()
        salt = sealing.new_salt()
        conn.execute(cases.update().where(cases.c.id == case_id).values(
            ref_hash=secrets.receipt_hash(receipt), public_key=public, receipt_salt=salt,
            private_by_receipt=sealing.wrap(sealing.slow_key(receipt, salt, sealing.RECEIPT_COST), private),
            private_by_server_enc=secrets.encrypt(base64.urlsafe_b64encode(private).decode()),
            contact_enc=secrets.encrypt(str(contact_id)) if contact_id is not None else None,
            contact_tag=secrets.contact_tag(contact_id) if contact_id is not None else None))
    for row_id, contact_id in replies:
        conn.execute(outbox.update().where(outbox.c.id == row_id).values(
            contact_id=None, contact_enc=secrets.encrypt(str(contact_id)), contact_tag=secrets.contact_tag(contact_id)))
    conn.execute(sa.text("DELETE FROM staff_sessions"))


def _needs_secrets() -> bool:
    """Before any change (SQLite commits each ALTER TABLE at once): are there rows to convert?"""
    conn = op.get_bind()
    return bool(conn.execute(sa.text("SELECT 1 FROM cases LIMIT 1")).first() or conn.execute(sa.text(
        "SELECT 1 FROM outbox WHERE kind = 'staff_reply' AND contact_id IS NOT NULL LIMIT 1")).first())


def upgrade() -> None:
    secrets = context.config.attributes.get("secrets")
    if secrets is None and _needs_secrets():
        raise RuntimeError("this upgrade re-hashes case receipts and needs the server key: run "
                           "`etp-bot db upgrade` (or `etp-bot serve`) with ETP_SECRET_KEY or the key file")
    _add_columns()
    _create_tables()
    if secrets is not None:
        _convert_rows(secrets)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_contact_id_contacts', type_='foreignkey')
        batch_op.drop_column('contact_id')
        batch_op.drop_column('reference_enc')


def downgrade() -> None:
    raise NotImplementedError("receipts are no longer stored: this migration cannot be undone")
