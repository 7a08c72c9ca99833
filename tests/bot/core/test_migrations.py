"""Migrations: an empty database and one from the previous release both reach the newest
schema, with every row kept; the migrated schema is exactly what the models declare."""
import asyncio

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.messages import Reply
from bot.core.migrate import current_revision, head_revision, upgrade
from bot.core.models import Base, Contact, Conversation, OutboxMessage, utcnow
from bot.services.contacts import get_or_create_contact
from tests.conftest import SECRET

PREVIOUS_RELEASE = "0001"
_OLD_OUTBOX = sa.table("outbox", *[sa.column(c) for c in (
    "contact_id", "channel", "kind", "dedupe_key", "status", "attempts", "body_enc", "next_attempt_at", "created_at")])


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
            await s.execute(insert(_OLD_OUTBOX).values(  # the columns of 0001
                contact_id=contact.id, channel="wechat", kind="staff_reply", dedupe_key="keep-me", status="pending",
                attempts=0, body_enc=secrets.encrypt_json([Reply("您好").to_dict()]), next_attempt_at=utcnow(),
                created_at=utcnow()))
        await upgrade(db, secrets=secrets)
        assert await current_revision(db) == head_revision()
        async with db.session() as s:
            (kept,) = (await s.execute(select(Contact))).scalars().all()
            assert kept.lang == "zh" and secrets.decrypt(kept.platform_id_enc) == "o-previous-release"
            row = (await s.execute(select(OutboxMessage))).scalar_one()
            assert row.dedupe_key == "keep-me" and secrets.decrypt_json(row.body_enc)[0]["text"] == "您好"
            # a staff reply names its contact only encrypted since 0010
            assert row.contact_id is None and secrets.decrypt(row.contact_enc) == str(kept.id)
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


async def test_cases_of_the_previous_release_keep_their_receipts_and_lose_their_clear_links(config) -> None:
    """0010: a case's reference becomes its receipt (a keyed slow hash; the encrypted copy and the
    contact foreign key are dropped); its texts stay under the server key until its queue has a
    key, then `adopt_waiting_cases` seals them to the case key."""
    from datetime import UTC, datetime

    from bot.core.models.cases import Case, CaseMessage
    from bot.services import cases, keyring
    from bot.services.references import new_reference

    secrets = Secrets(SECRET)
    db = Database(config.database_url)
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    ref = new_reference("helpline")
    try:
        await upgrade(db, "0009")
        async with db.session() as s:
            contact = await get_or_create_contact(s, secrets, "wechat", "o-reporter")
            old_cases = sa.table("cases", *[sa.column(c) for c in (
                "id", "ref_hash", "reference_enc", "queue", "category", "status", "urgent", "contact_id", "notify",
                "lang", "created_at", "updated_at")])
            await s.execute(insert(old_cases).values(
                id=7, ref_hash=secrets.lookup_hash(ref), reference_enc=secrets.encrypt(ref), queue="helpline",
                category="wages", status="waiting", urgent=False, contact_id=contact.id, notify="message", lang="en",
                created_at=at, updated_at=at))
            await s.execute(insert(CaseMessage.__table__).values(
                case_id=7, author="reporter", body_enc=secrets.encrypt("wages of May unpaid"), created_at=at))
        try:
            await upgrade(db)
            raise AssertionError("upgraded cases without the server key")
        except RuntimeError as exc:
            assert "etp-bot db upgrade" in str(exc)
        await upgrade(db, secrets=secrets)
        assert await _diff(db) == []
        async with db.session() as s:
            case = await cases.find_case(s, secrets, ref.lower())  # the reference works as the receipt
            assert case is not None and case.id == 7 and cases.case_number(case) == "H-7"
            assert case.ref_hash != secrets.lookup_hash(ref) and cases.linked_contact_id(secrets, case) == contact.id
            (message,) = await cases.messages(s, case)
            assert cases.read(secrets, cases.private_for_staff(secrets, case, None), message.body_enc) == "wages of May unpaid"
            # the first helpline member creates the queue key; the case is sealed to it
            from bot.staff.accounts import create_account

            user = await create_account(s, "line@etp.org", "helpline", "correct horse battery staple")
            await keyring.enrol(s, secrets, user, "correct horse battery staple")
        async with db.session() as s:
            case = await s.get(Case, 7)
            (message,) = await cases.messages(s, case)
            assert case.private_by_server_enc is None and message.body_enc.startswith("n1:")
            assert cases.private_for_staff(secrets, case, None) is None  # the server alone no longer reads it
            member = await keyring.unlock(s, user.id, "correct horse battery staple")
            queue = await keyring.queue_private(s, member, user.id, "helpline")
            assert cases.read(secrets, cases.private_for_staff(secrets, case, queue), message.body_enc) == (
                "wages of May unpaid")
            assert cases.read(secrets, cases.private_for_reporter(case, ref), message.body_enc) == "wages of May unpaid"
    finally:
        await db.close()
