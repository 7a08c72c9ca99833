"""How long the minute's wipe of cached WeChat passive replies holds up the webhook's writes.

    python benchmarks/forget_replies.py [--rows 20000] [--database-url URL]

Fills the inbox with `--rows` processed messages whose passive replies are older than a minute
(a busy minute's worth), then wipes them three times: as it was before (one transaction in a
session of its own, beside the writer's), as one transaction in the writer, and `--chunk` rows a
transaction in the writer (`forget_passive_replies`; `FORGET_CHUNK` by default), while a probe
makes a small group-commit-style write through the hot path's writer every 2 ms. It prints each
wipe's total time and the probe's longest and 99th-percentile wait (from one probe's commit to
the next's, less the 2 ms: waiting for the database's lock or for an event loop held up), and
the ratios chunked / before, measured in the same process one after the other. SQLite by default
(a file, `synchronous=FULL` as in production); PostgreSQL with --database-url.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # PYTHONPATH, when given, comes first
    sys.path.append(str(ROOT))

from sqlalchemy import delete, insert, update  # noqa: E402

from bot.core.db import Database  # noqa: E402
from bot.core.models.base import utcnow  # noqa: E402
from bot.core.models.messaging import DONE, InboxMessage, RateBucket  # noqa: E402
from bot.services.retention import FORGET_CHUNK, _deleted, _forget_replies, forget_passive_replies  # noqa: E402

INBOX = InboxMessage.__table__


async def fill(db: Database, rows: int) -> None:
    at = utcnow() - timedelta(minutes=2)
    async with db.session() as s:
        await s.execute(delete(INBOX))
        for start in range(0, rows, 5000):
            await s.execute(insert(INBOX), [
                {"channel": "wechat", "key_hash": f"bench-{n}", "kind": "text", "payload_enc": "", "status": DONE,
                 "received_at": at, "reply_enc": "x" * 300}  # about an encrypted reply's size
                for n in range(start, min(rows, start + 5000))])
        await s.execute(delete(RateBucket.__table__).where(RateBucket.key_hash == "probe"))
        await s.execute(insert(RateBucket.__table__).values(key_hash="probe", window_start=at, count=0))


async def probe(db: Database, stop: asyncio.Event, waits: list[float]) -> None:
    bump = update(RateBucket.__table__).where(RateBucket.key_hash == "probe").values(count=RateBucket.count + 1)
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.002)
        async with db.writer.transaction() as s:
            await s.execute(bump)
        now = time.perf_counter()  # since the last one's commit: its wait for the lock or for the loop
        waits.append((now - last) * 1000 - 2)
        last = now


async def beside_the_writer(db: Database, now) -> int:
    """The wipe as it was: one transaction of its own session, beside the writer's."""
    async with db.session() as s:
        return await _deleted(s, _forget_replies(now, since=now - timedelta(days=1)))


async def phase(db: Database, rows: int, chunk: int | None) -> tuple[float, float, float]:
    await fill(db, rows)
    stop, waits = asyncio.Event(), []
    task = asyncio.create_task(probe(db, stop, waits))
    await asyncio.sleep(0.2)
    start = time.perf_counter()
    wiped = await (forget_passive_replies(db, utcnow(), chunk=chunk) if chunk else beside_the_writer(db, utcnow()))
    took = (time.perf_counter() - start) * 1000
    stop.set()
    await task
    assert wiped == rows, (wiped, rows)
    return took, max(waits), statistics.quantiles(waits, n=100, method="inclusive")[98]


async def main(args: argparse.Namespace) -> None:
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='etp-forget-')}/bench.db"
    db = Database(url)
    await db.create_schema()
    try:
        print(f"{db.dialect}, {args.rows} replies to wipe, a probe write every 2 ms")
        print(f"{'wipe':<32} {'total ms':>9} {'probe max ms':>13} {'probe p99 ms':>13}")
        runs = {"before: one, beside the writer": None, "one, in the writer": args.rows,
                f"{args.chunk} rows a transaction": args.chunk}
        figures = {}
        for name, chunk in runs.items():
            figures[name] = await phase(db, args.rows, chunk)
            print(f"{name:<32} {figures[name][0]:>9.0f} {figures[name][1]:>13.1f} {figures[name][2]:>13.1f}")
        before, now = figures["before: one, beside the writer"], figures[f"{args.chunk} rows a transaction"]
        print(f"chunked / before: total {now[0] / before[0]:.2f}, probe max {now[1] / before[1]:.2f}, "
              f"probe p99 {now[2] / before[2]:.2f}")
        async with db.session() as s:
            await s.execute(delete(INBOX))
            await s.execute(delete(RateBucket.__table__).where(RateBucket.key_hash == "probe"))
    finally:
        await db.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--database-url", help="PostgreSQL (default: a SQLite file)")
    p.add_argument("--chunk", type=int, default=FORGET_CHUNK, help="rows a transaction (the bot's own by default)")
    asyncio.run(main(p.parse_args()))
