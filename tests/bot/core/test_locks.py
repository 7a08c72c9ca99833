from datetime import timedelta

from bot.core import locks
from bot.core.db import Database


async def test_one_owner_at_a_time_and_expiry(config) -> None:
    db = Database(config.database_url)
    await db.create_schema()
    try:
        assert await locks.acquire(db, "token", timedelta(seconds=30), owner="p1")
        assert not await locks.acquire(db, "token", timedelta(seconds=30), owner="p2")
        assert await locks.acquire(db, "token", timedelta(seconds=30), owner="p1")  # renew
        assert not await locks.acquire(db, "token", timedelta(seconds=30), owner="p1", renew=False)
        await locks.release(db, "token", owner="p1")
        assert await locks.acquire(db, "token", timedelta(seconds=30), owner="p2")
    finally:
        await db.close()
