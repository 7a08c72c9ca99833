"""Fixed-window attempt counters in the database, shared by every process: wrong case
references, wrong binding codes, failed look-ups.

    if not await throttle.hit(session, f"case-ref:{contact.id}", limit=5, window=timedelta(hours=1)):
        ...  # too many attempts: refuse without checking

`hit` counts one attempt and returns True while the key is within `limit` attempts in the
current window, False once it is over. Keys are hashed before storage (pass internal ids, not
platform ids, all the same).

(Written on branch `cases` because the factories branch's generic throttle was not there yet;
its `hit` has the same signature and meaning, so either can replace the other.)
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .dialect import insert_ignore
from .models.base import Base, UTCDateTime, utcnow


class ThrottleWindow(Base):
    __tablename__ = "throttle_windows"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def _window_start(now: datetime, window: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
    span = int(window.total_seconds())
    return epoch + timedelta(seconds=int((now - epoch).total_seconds()) // span * span)


async def hit(session: AsyncSession, key: str, limit: int, window: timedelta, *, now: datetime | None = None) -> bool:
    """Count an attempt for `key`; True while at most `limit` attempts fall in this window."""
    now = now or utcnow()
    key_hash = hashlib.sha256(key.encode("utf-8")).hexdigest()
    start = _window_start(now, window)
    table = ThrottleWindow.__table__
    await session.execute(delete(table).where(table.c.key_hash == key_hash, table.c.window_start < start))
    await insert_ignore(session, table, {"key_hash": key_hash, "window_start": start, "count": 0},
                        ["key_hash", "window_start"])
    where = (table.c.key_hash == key_hash) & (table.c.window_start == start)
    await session.execute(update(table).where(where).values(count=table.c.count + 1))
    count = (await session.execute(select(table.c.count).where(where))).scalar_one()
    return count <= limit
