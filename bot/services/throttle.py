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
import functools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.crypto import Secrets
from bot.core.models import UTCDateTime, utcnow

_FRESH = "rate_buckets.window_start <= :since OR rate_buckets.window_start > excluded.window_start"
_UPSERT = (f"ON CONFLICT (key_hash) DO UPDATE SET "
           f"count = CASE WHEN {_FRESH} THEN excluded.count ELSE rate_buckets.count + excluded.count END, "
           f"window_start = CASE WHEN {_FRESH} THEN excluded.window_start ELSE rate_buckets.window_start END "
           "RETURNING key_hash, count")
SQLITE_ROWS = 64  # keys of one SQLite statement at most (its variables: 2 a key, 2 more)


@functools.cache
def _count_statement(dialect: str, rows: int = 1):
    """Built once (on SQLite, once per number of keys): add `n` events to each key (a new window
    when the stored one is over, or in the future: a clock jump) and return the keys' counts, in
    one statement for the batch. PostgreSQL: arrays unnested, one prepared statement whatever
    the number of keys; SQLite: one row of VALUES a key."""
    if dialect == "postgresql":
        return text(
            "INSERT INTO rate_buckets (key_hash, window_start, count) SELECT * FROM unnest("
            "CAST(:key_hash AS VARCHAR(64)[]), CAST(:window_start AS TIMESTAMP WITH TIME ZONE[]), "
            "CAST(:count AS INTEGER[])) " + _UPSERT)
    values = ", ".join(f"(:k{i}, :now, :n{i})" for i in range(rows))
    # ON CONFLICT after VALUES needs no "WHERE true" (only after a SELECT)
    return text(f"INSERT INTO rate_buckets (key_hash, window_start, count) VALUES {values} " + _UPSERT
                ).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("since", type_=UTCDateTime()))


async def count_many(session: AsyncSession, secrets: Secrets, keys: list[str], window: timedelta,
                     now: datetime) -> list[int]:
    """Count one event under each of `keys` (a key may come more than once) inside the caller's
    transaction, in one statement per batch; for each, the events of the current window up to
    and including it (a key's events in the order given). The row lock serialises one key's
    events only; keys are written in one order in every process."""
    if not keys:
        return []
    hashes = [secrets.lookup_hash(key) for key in keys]
    added = Counter(hashes)
    rows = [{"key_hash": h, "window_start": now, "count": n} for h, n in sorted(added.items())]
    since = now - window
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        result = await session.execute(_count_statement("postgresql"), {
            "key_hash": [r["key_hash"] for r in rows], "window_start": [now] * len(rows),
            "count": [r["count"] for r in rows], "since": since})
        totals = dict(result.all())
    else:
        totals = {}
        for start in range(0, len(rows), SQLITE_ROWS):
            chunk = rows[start:start + SQLITE_ROWS]
            params: dict[str, object] = {"now": now, "since": since}
            for i, row in enumerate(chunk):
                params[f"k{i}"], params[f"n{i}"] = row["key_hash"], row["count"]
            totals.update((await session.execute(_count_statement("sqlite", len(chunk)), params)).all())
    # the last of a key's events in this batch has the total; the ones before it count up to it
    seen: Counter[str] = Counter()
    out = []
    for h in hashes:
        seen[h] += 1
        out.append(totals[h] - added[h] + seen[h])
    return out


# a count given back (its event did not happen: the transaction part that counted it was undone)
_UNCOUNT = text("UPDATE rate_buckets SET count = CASE WHEN count > :n THEN count - :n ELSE 0 END "
                "WHERE key_hash = :key_hash")


async def uncount_many(session: AsyncSession, secrets: Secrets, keys: list[str]) -> None:
    """Take back one event under each of `keys`, counted earlier in the caller's transaction."""
    if keys:
        added = Counter(secrets.lookup_hash(key) for key in keys)
        await session.execute(_UNCOUNT, [{"key_hash": h, "n": n} for h, n in sorted(added.items())])


async def count(session: AsyncSession, secrets: Secrets, key: str, window: timedelta, now: datetime) -> int:
    """Count one event under `key` inside the caller's transaction and return the events of the
    current window, this one included."""
    return (await count_many(session, secrets, [key], window, now))[0]


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
        return (await self.check_many(session, secrets, [contact_key], now))[0]

    async def check_many(self, session: AsyncSession, secrets: Secrets, contact_keys: list[str],
                         now: datetime) -> list[Verdict]:
        """Count one message for each of `contact_keys` (a batch; a contact may come more than
        once, its messages in the order given), in one statement."""
        counts = await count_many(session, secrets, ["rate:" + key for key in contact_keys], self.window, now)
        return [self._verdict(n) for n in counts]

    async def uncount_many(self, session: AsyncSession, secrets: Secrets, contact_keys: list[str]) -> None:
        """Give back the counts of messages whose processing failed (they are tried again)."""
        await uncount_many(session, secrets, ["rate:" + key for key in contact_keys])

    def _verdict(self, n: int) -> Verdict:
        if n <= self.limit:
            return Verdict.ALLOW
        return Verdict.WARN if n == self.limit + 1 else Verdict.DROP
