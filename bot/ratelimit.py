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

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .crypto import Secrets
from .dialect import insert_ignore
from .models.messaging import RateBucket


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
        transaction (the row lock serialises a contact's messages, not other contacts')."""
        key_hash = secrets.lookup_hash("rate:" + contact_key)
        await insert_ignore(session, RateBucket.__table__,
                            {"key_hash": key_hash, "window_start": now, "count": 0}, ["key_hash"])
        bucket = (
            await session.execute(
                select(RateBucket).where(RateBucket.key_hash == key_hash)
                .with_for_update().execution_options(populate_existing=True)
            )
        ).scalar_one()
        if bucket.window_start <= now - self.window or bucket.window_start > now:
            bucket.window_start, bucket.count = now, 0
        bucket.count += 1
        if bucket.count <= self.limit:
            return Verdict.ALLOW
        return Verdict.WARN if bucket.count == self.limit + 1 else Verdict.DROP
