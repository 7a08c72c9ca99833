"""Per-contact rate limiting, counted in the database so it holds across processes.

A fixed window per contact: the first `limit` messages of a window are answered; the next one
gets one polite "please wait" (so the user knows why the bot is quiet); the rest of the window
is stored and dropped without running the dialogue. A flood from one account therefore costs
a couple of small writes per message and cannot starve other users of the dialogue.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.crypto import Secrets
from bot.core.dialect import upsert_returning
from bot.core.models import UTCDateTime
from bot.core.models.messaging import RateBucket


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first message over the limit: tell the user, once per window
    DROP = "drop"


@dataclass(frozen=True)
class RateLimit:
    limit: int = 20
    window: timedelta = timedelta(minutes=1)

    async def check(self, session: AsyncSession, secrets: Secrets, contact_key: str, now: datetime) -> Verdict:
        """Count one message of `contact_key` (e.g. "wechat:OPENID") inside the caller's
        transaction (the row lock serialises one contact's messages, not other contacts')."""
        key_hash = secrets.lookup_hash("rate:" + contact_key)
        table = RateBucket.__table__
        # one statement: a new window starts when the stored one is over (or in the future: a clock jump)
        fresh = or_(table.c.window_start <= now - self.window, table.c.window_start > now)
        count = await upsert_returning(
            session, table, {"key_hash": key_hash, "window_start": now, "count": 1}, ["key_hash"],
            {"count": case((fresh, 1), else_=table.c.count + 1),
             "window_start": case((fresh, literal(now, UTCDateTime())), else_=table.c.window_start)},
            table.c.count,
        )
        if count <= self.limit:
            return Verdict.ALLOW
        return Verdict.WARN if count == self.limit + 1 else Verdict.DROP
