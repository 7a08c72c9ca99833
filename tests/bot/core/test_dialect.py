"""The one module with dialect-specific SQL behaves the same on SQLite and PostgreSQL."""
import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from bot.core.db import Database
from bot.core.dialect import insert_ignore, insert_ignore_returning, migration_lock, update_many, upsert_returning
from bot.core.migrate import upgrade
from bot.core.models import Lease, UTCDateTime, utcnow


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


async def test_update_many_sets_each_row_its_own_values(config) -> None:
    """One statement for a batch's rows: each row found by its key gets its own values (text,
    None, time), the rows left out keep theirs."""
    db = Database(config.database_url)
    await upgrade(db)
    table = Lease.__table__
    later = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    try:
        async with db.session() as s:
            for name in ("a", "b", "c"):
                await insert_ignore(s, table, {"name": name, "owner": f"old-{name}", "expires_at": utcnow()}, ["name"])
            await update_many(s, table, "name", [])  # nothing to write: no statement
            await update_many(s, table, "name", [{"name": "a", "owner": "new-a", "expires_at": later},
                                                 {"name": "c", "owner": "", "expires_at": later + timedelta(days=1)}])
        async with db.session() as s:
            rows = {name: (owner, at) for name, owner, at in await s.execute(
                select(Lease.name, Lease.owner, Lease.expires_at))}
        assert rows["a"] == ("new-a", later)
        assert rows["c"] == ("", later + timedelta(days=1))
        assert rows["b"][0] == "old-b" and rows["b"][1] < later
    finally:
        await db.close()


def test_sqlite_stores_times_as_sqlalchemy_does() -> None:
    """The SQLite binding written for speed keeps SQLAlchemy's own text (times compare as text
    there: a stored row must sort and match as before), whatever the time zone given."""
    dialect = sqlite.dialect()
    ours = UTCDateTime()._cached_bind_processor(dialect)
    stock = sqlite.DATETIME().bind_processor(dialect)
    for value in (datetime(2026, 12, 4, 5, 6, 7, 890123, tzinfo=UTC), datetime(2026, 12, 4, 5, 6, 7, tzinfo=UTC),
                  datetime(999, 1, 2, tzinfo=UTC), datetime(2026, 12, 4, 13, 6, 7, 5, tzinfo=timezone(timedelta(hours=8)))):
        assert ours(value) == stock(value.astimezone(UTC).replace(tzinfo=None))
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2026, 12, 4))
