"""The one module with dialect-specific SQL behaves the same on SQLite and PostgreSQL."""
import asyncio

from sqlalchemy import select

from bot.core.db import Database
from bot.core.dialect import insert_ignore, insert_ignore_returning, migration_lock, upsert_returning
from bot.core.migrate import upgrade
from bot.core.models import Lease, utcnow


async def test_insert_ignore_and_upsert_on_both_databases(config) -> None:
    db = Database(config.database_url)
    await upgrade(db)
    try:
        async with db.session() as s:
            row = {"name": "job:x", "owner": "p1", "expires_at": utcnow()}
            assert await insert_ignore(s, Lease.__table__, row, ["name"]) is True
            assert await insert_ignore(s, Lease.__table__, {**row, "owner": "p2"}, ["name"]) is False
            assert (await s.execute(select(Lease.owner))).scalar_one() == "p1"
            assert await insert_ignore_returning(s, Lease.__table__, {**row, "name": "job:y"}, ["name"],
                                                 Lease.name) == "job:y"
            assert await insert_ignore_returning(s, Lease.__table__, row, ["name"], Lease.name) is None
        async with db.session() as s:
            stmt_values = {"name": "job:z", "owner": "a", "expires_at": utcnow()}
            first = await upsert_returning(s, Lease.__table__, stmt_values, ["name"], {"owner": "b"}, Lease.owner)
            second = await upsert_returning(s, Lease.__table__, stmt_values, ["name"], {"owner": "b"}, Lease.owner)
            assert (first, second) == ("a", "b")
    finally:
        await db.close()


async def test_migration_lock_serialises(config) -> None:
    db = Database(config.database_url)
    order: list[str] = []

    async def hold(name: str) -> None:
        async with db.engine.connect() as conn, migration_lock(conn):
            order.append(f"{name}+")
            await asyncio.sleep(0.05)
            order.append(f"{name}-")

    try:
        await asyncio.gather(hold("a"), hold("b"))
        if db.dialect == "postgresql":  # SQLite relies on its own file lock instead
            assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])
        else:
            assert sorted(order) == ["a+", "a-", "b+", "b-"]
    finally:
        await db.close()
