"""CPU per message of the inbox's group commits alone, without HTTP: batches of WeChat messages
stored and processed through the real dialogue, from new senders and from known ones, with the
statements each batch sends to the database.

    python benchmarks/inbox_batch.py [--batches 30] [--size 32] [--database-url URL]

One process, pinned to one core; CPU is the process's (the SQLite writer's thread included).
`ref` is a fixed workload (SHA-256 over 4 MiB) timed in the same process before each phase, and
`x ref` the phase's CPU a message over it: a figure that moves less with the machine than the
milliseconds do. To compare two versions of the code, run it with each on `PYTHONPATH`, in turn
(`PYTHONPATH=../before python benchmarks/inbox_batch.py`).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import os
import secrets
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from timing import pin_to_one_core
from webhook_load import QUESTIONS  # the questions the webhook benchmark asks

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # PYTHONPATH, when given, comes first
    sys.path.append(str(ROOT))

from sqlalchemy import event  # noqa: E402

from bot.core.config import Config  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.runtime import build_runtime  # noqa: E402
from integrations.inbox import Inbox  # noqa: E402
from integrations.wechat.receive import make_respond  # noqa: E402

# each sender writes once in each phase: under the rate limit (15 in its window)
PHASES = ("new senders", "known senders", "known senders")


def reference_ms() -> float:
    data = os.urandom(1 << 22)
    start = time.process_time()
    for _ in range(5):
        hashlib.sha256(data).digest()
    return (time.process_time() - start) / 5 * 1000


async def run(url: str, workdir: str, batches: int, size: int) -> list[dict]:
    config = replace(Config.from_env({}), database_url=url, secret_key="bench-" * 6,
                     key_file=f"{workdir}/etp-bot.key")
    runtime = await build_runtime(config)
    statements: collections.Counter[str] = collections.Counter()
    current = ["store"]
    event.listen(runtime.db.writer.engine.sync_engine, "before_cursor_execute",
                 lambda *_: statements.update([current[0]]))
    inbox = Inbox(runtime, "wechat", make_respond(runtime.services.secrets))
    loop, rows, n = asyncio.get_running_loop(), [], 0
    run_id = secrets.token_hex(4)  # senders and message ids of this run's own (a database may be reused)
    try:
        for phase in PHASES:
            ref = reference_ms()
            cpu = {"store": 0.0, "process": 0.0}
            statements.clear()
            for b in range(batches):
                messages = []
                for i in range(size):
                    n += 1
                    key = f"{run_id}-{n}"
                    messages.append((key, Incoming("wechat", f"o{run_id}{b:04d}x{i:04d}", key,
                                                   text=QUESTIONS[n % len(QUESTIONS)])))
                current[0], start = "store", time.process_time()
                stored = await asyncio.gather(*[inbox.store(key, incoming) for key, incoming in messages])
                cpu["store"] += time.process_time() - start
                current[0], start = "process", time.process_time()
                until = loop.time() + 60  # passive replies, as inside WeChat's 5 seconds
                results = await asyncio.gather(*[inbox.process(row_id, passive_until=until) for row_id, _ in stored])
                cpu["process"] += time.process_time() - start
                if not all(r.ran and r.cached for r in results):
                    raise SystemExit(f"{phase}: a message was not answered")
            count = batches * size
            total = (cpu["store"] + cpu["process"]) / count * 1000
            rows.append({"phase": phase, "store": cpu["store"] / count * 1000, "process": cpu["process"] / count * 1000,
                         "total": total, "ref": ref, "ratio": total / ref,
                         "stmts": (statements["store"] / batches, statements["process"] / batches)})
    finally:
        await runtime.close()
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=30, help="batches a phase")
    ap.add_argument("--size", type=int, default=32, help="messages a batch (the inbox takes 32 at most)")
    ap.add_argument("--database-url", default=None, help="PostgreSQL, say (default: a new SQLite file)")
    args = ap.parse_args(argv)
    pinned = pin_to_one_core()
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite+aiosqlite:///{workdir}/bench.db"
        rows = asyncio.run(run(url, workdir, args.batches, args.size))
    print(f"{args.batches} batches of {args.size} a phase, {url.split(':', 1)[0]}, {pinned}; ms: CPU a message "
          "(store, process, both); ref: the fixed workload; statements a batch (store / process)")
    print(f"{'phase':<14} {'store':>6} {'process':>8} {'total':>6} {'ref':>6} {'x ref':>6} {'statements':>11}")
    for r in rows:
        print(f"{r['phase']:<14} {r['store']:6.3f} {r['process']:8.3f} {r['total']:6.3f} {r['ref']:6.2f} "
              f"{r['ratio']:6.3f} {r['stmts'][0]:5.1f} / {r['stmts'][1]:<4.1f}")


if __name__ == "__main__":
    main()
