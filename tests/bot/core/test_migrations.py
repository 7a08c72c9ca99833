"""Migrations: an empty database and one from the previous release both reach the newest
schema, with every row kept; the migrated schema is exactly what the models declare."""
import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.messages import Reply
from bot.core.migrate import current_revision, head_revision, upgrade
from bot.core.models import Base, Contact, Conversation, OutboxMessage
from bot.services.contacts import get_or_create_contact
from bot.services.outbox import enqueue
from tests.conftest import SECRET

PREVIOUS_RELEASE = "0001"


async def _diff(db: Database) -> list:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))


async def test_empty_database_gets_the_whole_schema(config) -> None:
    db = Database(config.database_url)
    try:
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        assert await _diff(db) == []
        await upgrade(db)  # a second start changes nothing
        assert await current_revision(db) == head_revision()
    finally:
        await db.close()


async def test_previous_release_with_data_is_upgraded_without_loss(config) -> None:
    secrets = Secrets(SECRET)
    db = Database(config.database_url)
    try:
        await upgrade(db, PREVIOUS_RELEASE)
        async with db.session() as s:
            contact = await get_or_create_contact(s, secrets, "wechat", "o-previous-release")
            contact.lang = "zh"
            s.add(Conversation(contact_id=contact.id, flow=None))
            await enqueue(s, secrets, channel="wechat", contact_id=contact.id, kind="staff_reply",
                          replies=[Reply("您好")], dedupe_key="keep-me")
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        async with db.session() as s:
            (kept,) = (await s.execute(select(Contact))).scalars().all()
            assert kept.lang == "zh" and secrets.decrypt(kept.platform_id_enc) == "o-previous-release"
            row = (await s.execute(select(OutboxMessage))).scalar_one()
            assert row.dedupe_key == "keep-me" and secrets.decrypt_json(row.body_enc)[0]["text"] == "您好"
            assert await s.get(Conversation, kept.id) is not None
    finally:
        await db.close()


async def test_processes_starting_together_migrate_once(config) -> None:
    dbs = [Database(config.database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(db) for db in dbs))
        assert await current_revision(dbs[0]) == head_revision()
        assert await _diff(dbs[0]) == []
    finally:
        for db in dbs:
            await db.close()
