"""Counting events per key in a fixed time window, in the database (so every process shares the
count and a restart forgets nothing): the one counter behind the per-contact rate limit, the
binding-code throttle and the case look-up throttle. Keys are stored only as keyed hashes, so
the table shows neither which account was counted nor for what.

    if not await throttle.hit(session, secrets, f"bind:contact:{contact.id}", 5, timedelta(hours=1)):
        return [too_many_attempts]

Give an attempt against a secret both a per-account key and a global key, so neither one
account nor many accounts together can guess fast.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.crypto import Secrets
from bot.core.dialect import upsert_returning
from bot.core.models import UTCDateTime, utcnow
from bot.core.models.messaging import RateBucket

_TABLE = RateBucket.__table__


async def count(session: AsyncSession, secrets: Secrets, key: str, window: timedelta, now: datetime) -> int:
    """Count one event under `key` inside the caller's transaction and return the events of the
    current window, this one included. One statement: a new window starts when the stored one is
    over (or in the future: a clock jump); the row lock serialises one key's events only."""
    fresh = or_(_TABLE.c.window_start <= now - window, _TABLE.c.window_start > now)
    return await upsert_returning(
        session, _TABLE, {"key_hash": secrets.lookup_hash(key), "window_start": now, "count": 1}, ["key_hash"],
        {"count": case((fresh, 1), else_=_TABLE.c.count + 1),
         "window_start": case((fresh, literal(now, UTCDateTime())), else_=_TABLE.c.window_start)},
        _TABLE.c.count,
    )


async def hit(session: AsyncSession, secrets: Secrets, key: str, limit: int, window: timedelta, *,
              now: datetime | None = None) -> bool:
    """Count one attempt under `key`. True while the attempts in the current window (this one
    included) are at most `limit`; False when the caller should refuse the attempt."""
    return await count(session, secrets, key, window, now or utcnow()) <= limit


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first message over the limit: tell the user, once per window
    DROP = "drop"


@dataclass(frozen=True)
class RateLimit:
    """Per-contact rate limiting: the first `limit` messages of a window are answered; the next
    one gets one polite "please wait" (so the user knows why the bot is quiet); the rest of the
    window is stored and dropped without running the dialogue. A flood from one account costs a
    couple of small writes per message and cannot starve other users of the dialogue."""

    limit: int = 20
    window: timedelta = timedelta(minutes=1)

    async def check(self, session: AsyncSession, secrets: Secrets, contact_key: str, now: datetime) -> Verdict:
        """Count one message of `contact_key` (e.g. "wechat:OPENID")."""
        n = await count(session, secrets, "rate:" + contact_key, self.window, now)
        if n <= self.limit:
            return Verdict.ALLOW
        return Verdict.WARN if n == self.limit + 1 else Verdict.DROP
