"""Per-contact rate limiting, counted in the database so it holds across processes.

A fixed window per contact: the first `limit` messages of a window are answered; the next one
gets one polite "please wait" (so the user knows why the bot is quiet); the rest of the window
is stored and dropped without running the dialogue. A flood from one account therefore costs
a couple of small writes per message and cannot starve other users of the dialogue.
"""
from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, or_
from sqlalchemy.ext.asyncio import AsyncSession

from .crypto import Secrets
from .dialect import dialect_name, upsert_statement
from .models import UTCDateTime
from .models.messaging import RateBucket


_BUCKETS = RateBucket.__table__
_NOW = bindparam("now", type_=UTCDateTime())
# a new window starts when the stored one is over (or in the future: a clock jump)
_FRESH = or_(_BUCKETS.c.window_start <= bindparam("stale", type_=UTCDateTime()), _BUCKETS.c.window_start > _NOW)


@functools.lru_cache(maxsize=None)
def _counter(dialect: str):  # noqa: ANN202 - one statement per dialect, built once (hot path)
    return upsert_statement(dialect, _BUCKETS, ["key_hash"], {
        "count": case((_FRESH, 1), else_=_BUCKETS.c.count + 1),
        "window_start": case((_FRESH, _NOW), else_=_BUCKETS.c.window_start),
    }, _BUCKETS.c.count)


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
        params = {"key_hash": key_hash, "window_start": now, "count": 1, "now": now, "stale": now - self.window}
        count = (await session.execute(_counter(dialect_name(session)), params)).scalar_one()
        if count <= self.limit:
            return Verdict.ALLOW
        return Verdict.WARN if count == self.limit + 1 else Verdict.DROP
