"""The case desk under load: reports filed through the dialogue, the staff queue page with many
open cases, a case page, and a staff sign-in (argon2).

    python benchmarks/cases_console.py [--cases 2000] [--database-url URL]

Files `--cases` helpline reports through the real dialogue (6 messages each, as a worker sends
them), then signs in to the console on a loopback port and times the queue page (the newest
200 of the role's open cases, urgent first) and one case page. SQLite in a temporary directory
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
            times, html = await timed_get(http, f"{base}/staff/", args.rounds)
            rows = html.count('class="case-row"')
            print(f"queue page ({rows} rows shown of {args.cases} open): p50 {1000 * statistics.median(times):.1f} ms, "
                  f"max {1000 * max(times):.1f} ms")
            case_path = re.search(r'href="(/staff/cases/\d+)"', html).group(1)
            times, _ = await timed_get(http, base + case_path, args.rounds)
            print(
                f"case page (view logged): p50 {1000 * statistics.median(times):.1f} ms, max {1000 * max(times):.1f} ms"
            )
    finally:
        await runner.cleanup()
        await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
