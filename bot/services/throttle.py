"""Counting attempts per key in a fixed time window, in the database (so every process shares
the count and a restart forgets nothing). Used against guessing: binding codes, case references.

    if not await throttle.hit(session, f"bind:contact:{contact.id}", 5, timedelta(hours=1)):
        return [too_many_attempts]

Give each attempt both a per-account key and a global key, so neither one account nor many
accounts together can guess fast.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dialect import insert_ignore
from bot.core.models import utcnow
from bot.core.models.base import UTCDateTime
from bot.core.models.factories import ThrottleCounter


async def hit(session: AsyncSession, key: str, limit: int, window: timedelta, *, now: datetime | None = None) -> bool:
    """Count one attempt under `key`. True while the attempts in the current window (this one
    included) are at most `limit`; False when the caller should refuse the attempt."""
    return await count(session, key, window, now=now) <= limit


async def count(session: AsyncSession, key: str, window: timedelta, *, now: datetime | None = None) -> int:
    """Count one attempt under `key`; the attempts in the current window, this one included."""
    now = now or utcnow()
    await insert_ignore(session, ThrottleCounter.__table__, {"key": key, "window_start": now, "count": 0}, ["key"])
    # one UPDATE, atomic on both backends: a window that has passed starts again at this attempt
    expired = ThrottleCounter.window_start <= now - window
    await session.execute(
        update(ThrottleCounter)
        .where(ThrottleCounter.key == key)
        .values(
            count=case((expired, 1), else_=ThrottleCounter.count + 1),
            window_start=case((expired, literal(now, UTCDateTime())), else_=ThrottleCounter.window_start),
        )
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(select(ThrottleCounter.count).where(ThrottleCounter.key == key))).scalar_one()

