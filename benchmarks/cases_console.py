"""The case desk under load: reports filed through the dialogue, the staff queue page with many
open cases, a case page, and a staff sign-in (argon2).

    python benchmarks/cases_console.py [--cases 2000] [--database-url URL]

Files `--cases` helpline reports through the real dialogue (6 messages each, as a worker sends
them), then signs in to the console on a loopback port and times, against a reference page of
the same server (the password page: session check and layout, no case work), the queue page
(100 of the role's open cases, urgent first, with ages, targets and new-message markers), the
JSON an open queue page polls, one case page, the statistics page (charts) and its CSV. SQLite in a temporary directory
unless --database-url (a PostgreSQL database is emptied first). Prints the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.config import Config  # noqa: E402

SECRET = "benchmark-secret-key-0123456789abcdefghij"
PASSWORD = "benchmark password"


async def file_reports(runtime, n: int) -> float:
    from bot.core.messages import Incoming

    steps = ["/helpline", "helpline:cat:wages", "", "helpline:done", "helpline:notify:message", "helpline:send"]
    start = time.perf_counter()
    for i in range(n):
        for j, text in enumerate(steps):
            kind = "choice" if ":" in text else "text"
            body = text or f"Overtime of week {i} was not paid; {'he will beat me' if i % 50 == 0 else 'please help'}"
            incoming = Incoming("terminal", f"worker-{i}", f"{i}-{j}", kind=kind, text=body)
            async with runtime.db.session() as s:
                await runtime.dialogue.handle(s, incoming)
    return time.perf_counter() - start


async def timed_get(session: aiohttp.ClientSession, url: str, rounds: int) -> tuple[list[float], str]:
    times, html = [], ""
    for _ in range(rounds):
        t0 = time.perf_counter()
        async with session.get(url) as r:
            html = await r.text()
            assert r.status == 200, r.status
        times.append(time.perf_counter() - t0)
    return times, html


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    from bot import staff
    from bot.app import create_app
    from bot.runtime import build_runtime
    from bot.staff import totp
    from bot.staff.accounts import create_account

    tmp = tempfile.mkdtemp(prefix="etp-bench-")
    url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    if url.startswith("postgresql"):
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    config = replace(Config.from_env({}), database_url=url, secret_key=SECRET, key_file=f"{tmp}/key")
    runtime = await build_runtime(config)
    secret = totp.new_secret()  # enrolled already, as after the enrolment page
    async with runtime.db.session() as s:
        user = await create_account(s, "line@bench.org", "helpline", PASSWORD)
        user.totp_secret_enc, user.totp_enrolled_at = runtime.services.secrets.encrypt(secret), runtime.services.clock()

    seconds = await file_reports(runtime, args.cases)
    messages = args.cases * 6
    print(f"database: {runtime.db.dialect}")
    print(f"filed {args.cases} helpline reports ({messages} messages) in {seconds:.1f} s: "
          f"{messages / seconds:.0f} messages/s, {1000 * seconds / messages:.2f} ms/message")

    runner = web.AppRunner(create_app(config, plugins=(staff.setup,)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{base}/staff/login") as r:
                token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
            t0 = time.perf_counter()
            async with http.post(f"{base}/staff/login", data={"email": "line@bench.org", "password": PASSWORD,
                                                              "csrf": token}) as r:
                assert r.status == 200 and r.url.path == "/staff/login/code", r.status
                token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)
            code = totp.code_at(secret, runtime.services.clock())
            async with http.post(f"{base}/staff/login/code", data={"code": code, "csrf": token}) as r:
                assert r.status == 200 and r.url.path == "/staff/", r.status
            print(f"sign-in (argon2 verify, second factor, session): {1000 * (time.perf_counter() - t0):.0f} ms")
            reference, _ = await timed_get(http, f"{base}/staff/password", args.rounds)  # a page with no case work
            ref_ms = 1000 * statistics.median(reference)
            print(f"reference (password page, session check and layout only): p50 {ref_ms:.1f} ms")

            def report(what: str, times: list[float]) -> None:
                p50 = 1000 * statistics.median(times)
                print(f"{what}: p50 {p50:.1f} ms ({p50 / ref_ms:.1f}x the reference), max {1000 * max(times):.1f} ms")

            times, html = await timed_get(http, f"{base}/staff/", args.rounds)
            rows = html.count("data-case=")
            report(f"queue page ({rows} rows shown of {args.cases} open, ages, targets, new-message markers)", times)
            times, _ = await timed_get(http, f"{base}/staff/queue.json", args.rounds)
            report("queue.json (the poll of an open queue page)", times)
            case_path = re.search(r'href="(/staff/cases/\d+)"', html).group(1)
            times, _ = await timed_get(http, base + case_path, args.rounds)
            report("case page (view logged)", times)
            times, _ = await timed_get(http, f"{base}/staff/statistics", max(3, args.rounds // 4))
            report("statistics page (26 weeks, 4 SVG charts)", times)
            times, _ = await timed_get(http, f"{base}/staff/statistics.csv?weeks=0", max(3, args.rounds // 4))
            report("statistics CSV (all weeks)", times)
    finally:
        await runner.cleanup()
        await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
