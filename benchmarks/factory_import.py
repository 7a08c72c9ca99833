"""Factory CSV import speed: a generated file of ROWS factories (default 10,000, mixed statuses,
Chinese names, NC counts) is checked, imported into an empty database, then imported again
(every row an update). Prints the time of each phase (median of RUNS), rows per second, and the
wall time of the real command `etp-bot factories import FILE` in a fresh process.

    PYTHONPATH=. python benchmarks/factory_import.py [--rows 10000] [--runs 3] [--database-url URL]

Without --database-url a temporary SQLite file is used; with a PostgreSQL URL the benchmark
drops and recreates its tables there (use a scratch database).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.db import Database  # noqa: E402
from bot.core.models import Base  # noqa: E402
from bot.services.factories import parse_factories, upsert_factories  # noqa: E402

STATUSES = ["certified", "remediation", "probation", "progressing", "assessed", "terminated"]
HEADER = ("factory_id,name,status,status_since,name_zh,country,valid_until,"
          "open_minor,open_major,open_critical,audit_firm")


def make_csv(rows: int, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    lines = [HEADER]
    for n in range(rows):
        since = date(2025, 1, 1) + timedelta(days=rnd.randrange(500))
        valid = (since + timedelta(days=365)).isoformat() if rnd.random() < 0.3 else ""
        counts = [str(rnd.randrange(6)) if rnd.random() < 0.8 else "" for _ in range(3)]
        lines.append(f"F-{n:06d},Factory {n} Toys Co. Ltd,{rnd.choice(STATUSES)},{since.isoformat()},"
                     f"第{n}玩具厂,China,{valid},{','.join(counts)},{rnd.choice(['SGS', 'UL', 'ELEVATE', 'SCSA'])}")
    return ("\n".join(lines) + "\n").encode("utf-8")


async def reset(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)


async def one_run(url: str, data: bytes) -> dict[str, float]:
    db = Database(url)
    try:
        await reset(db)
        t0 = time.perf_counter()
        rows = parse_factories(data).rows
        t1 = time.perf_counter()
        async with db.session() as s:
            created = await upsert_factories(s, rows)
        t2 = time.perf_counter()
        async with db.session() as s:
            updated = await upsert_factories(s, parse_factories(data).rows)
        t3 = time.perf_counter()
        assert created.created == len(rows) and updated.updated == len(rows)
        return {"check": t1 - t0, "create": t2 - t1, "update (check + write)": t3 - t2}
    finally:
        await db.close()


def cli_run(url: str, path: Path, workdir: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT), ETP_DATABASE_URL=url, ETP_KEY_FILE=str(workdir / "key"),
               ETP_SECRET_KEY=os.environ.get("ETP_SECRET_KEY") or "benchmark-secret-key-0123456789abcdefgh")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "bot", "factories", "import", str(path)], env=env,
                         capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - t0
    print(f"  {out.stdout.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    data = make_csv(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{work / 'bench.db'}"
        backend = url.split(":", 1)[0]
        print(f"{args.rows:,} rows ({len(data) / 1e6:.1f} MB), {backend}, median of {args.runs} runs")
        runs = [asyncio.run(one_run(url, data)) for _ in range(args.runs)]
        for phase in runs[0]:
            median = statistics.median(r[phase] for r in runs)
            print(f"  {phase:<24} {median:7.3f} s  {args.rows / median:>10,.0f} rows/s")
        path = work / "factories.csv"
        path.write_bytes(data)
        asyncio.run(reset_only(url))
        elapsed = cli_run(url, path, work)
        print(f"  etp-bot factories import (fresh process, empty database): {elapsed:.2f} s wall")


async def reset_only(url: str) -> None:
    db = Database(url)
    try:
        await reset(db)
    finally:
        await db.close()


if __name__ == "__main__":
    main()
