"""Load on `POST /wechat` in safe mode over loopback, next to a bare aiohttp handler.

    python benchmarks/webhook_load.py [--requests 3000] [--concurrency 64] [--senders 400]
        [--retries 0.05] [--max-seconds 120] [--database-url URL] [--processes N]

Starts the real server (`etp-bot serve`, N processes on N loopback ports, SQLite in a temporary
directory unless --database-url) and, separately, a bare aiohttp server whose handler only
returns "success" (the ceiling for this stack). The same pre-built requests, signed and
encrypted with wechatpy's `WeChatCrypto` exactly as WeChat sends them, are sent to both by many
concurrent senders (each sender an OpenID; a share of requests are WeChat-style retries with a
MsgId already sent). Prints throughput, p50/p99 latency, errors, and for the bot: messages lost
(sent and acknowledged but missing from the inbox, or never processed) and doubled (more inbox
rows than distinct messages), and the CPU the server process(es) spent per answered request (the
figure to compare between runs: req/s moves with whatever else the machine is doing).

Everything stays on 127.0.0.1; the WeChat API the bot might call (customer-service messages)
is a local stub. The request count and the time are bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "benchWechatToken2026"  # 3-32 letters and digits, as WeChat (and the config) require
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wxbench000000000"
QUESTIONS = ["How much is the registration fee?", "menu", "1", "What does Progressing mean?", "help",
             "注册费是多少？", "How long is a certificate valid?", "What is a Progress Visit?"]


# -- the servers -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_bare(port: int) -> None:
    """The ceiling: aiohttp reading the body and answering "success"."""
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="success")

    app = web.Application()
    app.router.add_post("/wechat", handler)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


async def wechat_api_stub() -> tuple[web.AppRunner, str]:
    """Token and customer-service endpoints that always succeed (overflow replies go here)."""
    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "BENCH_TOKEN", "expires_in": 7200})

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    app = web.Application()
    app.router.add_get("/cgi-bin/token", token)
    app.router.add_post("/cgi-bin/{path:.*}", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


@dataclass
class Servers:
    procs: list[subprocess.Popen]
    urls: list[str]

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


def cpu_seconds(procs: list[subprocess.Popen]) -> float | None:
    """User + system CPU the processes have used so far (Linux /proc), None elsewhere."""
    total = 0.0
    try:
        for p in procs:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return total


async def start(commands: list[tuple[list[str], dict[str, str], int]], log_dir: str | None = None) -> Servers:
    procs, urls = [], []
    for argv, env, port in commands:
        err = open(f"{log_dir}/server-{port}.log", "wb") if log_dir else subprocess.DEVNULL  # noqa: SIM115
        procs.append(subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err))
        urls.append(f"http://127.0.0.1:{port}")
    servers = Servers(procs, urls)
    async with aiohttp.ClientSession() as http:
        for proc, url in zip(procs, urls, strict=False):
            for _ in range(300):
                if proc.poll() is not None:
                    servers.stop()
                    raise SystemExit(f"server failed to start (log in {log_dir})")
                try:
                    async with http.post(url + "/wechat", data=b"") as resp:
                        if resp.status < 500:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
    return servers


async def start_bot(database_url: str, secret: str, api_base: str, processes: int, workdir: str) -> Servers:
    env = {**os.environ, "PYTHONPATH": os.environ.get("BENCH_PYTHONPATH", "") + str(ROOT), "ETP_DATABASE_URL": database_url, "ETP_SECRET_KEY": secret,
           "WECHAT_TOKEN": TOKEN, "WECHAT_AES_KEY": AES_KEY, "WECHAT_APP_ID": APP_ID,
           "WECHAT_APP_SECRET": "bench-secret", "WECHAT_API_BASE": api_base, "ETP_KEY_FILE": f"{workdir}/key"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    ports = [free_port() for _ in range(processes)]
    commands = [([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env, port)
                for port in ports]
    first = await start(commands[:1], workdir)  # creates the schema before the others start
    rest = await start(commands[1:], workdir)
    return Servers(first.procs + rest.procs, first.urls + rest.urls)


async def start_bare() -> Servers:
    port = free_port()
    return await start([([sys.executable, __file__, "--serve-bare", str(port)], dict(os.environ), port)])


# -- the load ----------------------------------------------------------------------------------------
@dataclass
class Message:
    query: dict[str, str]
    body: bytes
    msg_id: int
    retry: bool


def build_messages(requests: int, senders: int, retry_share: float, seed: int = 1) -> list[Message]:
    from wechatpy.crypto import WeChatCrypto

    from tests.fakes.wechat import WeChatPlatform

    platform = WeChatPlatform(TOKEN, AES_KEY, APP_ID)
    rng = random.Random(seed)
    msg_ids = itertools.count(int(time.time()) * 1000)
    out: list[Message] = []
    assert isinstance(platform.crypto, WeChatCrypto)
    for n in range(requests):
        if out and rng.random() < retry_share:
            first = out[rng.randrange(len(out))]
            out.append(Message(first.query, first.body, first.msg_id, True))  # WeChat retries as sent
            continue
        openid = f"oBench{n % senders:08d}"
        msg_id = next(msg_ids)
        query, body = platform.request(platform.text(openid, QUESTIONS[(n // senders) % len(QUESTIONS)],
                                                     msg_id=msg_id))
        out.append(Message(query, body, msg_id, False))
    return out


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    ok_ids: set[int] = field(default_factory=set)
    passive: int = 0
    elapsed: float = 0.0

    def line(self, name: str) -> str:
        lat = sorted(self.latencies)
        p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
        return (f"{name:<10} {len(lat):>8} {self.errors:>7} {len(lat) / self.elapsed:>10.0f} "
                f"{p(0.5):>9.1f} {p(0.99):>9.1f} {max(lat, default=0) * 1000:>9.1f}")

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed


async def drive(urls: list[str], messages: list[Message], concurrency: int, max_seconds: float) -> Run:
    run = Run()
    queue = iter(enumerate(messages))
    deadline = time.perf_counter() + max_seconds
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=15)

    async def sender(http: aiohttp.ClientSession) -> None:
        for n, msg in queue:
            if time.perf_counter() > deadline:
                return
            started = time.perf_counter()
            try:
                async with http.post(urls[n % len(urls)] + "/wechat", params=msg.query, data=msg.body) as resp:
                    body = await resp.read()
                    status = resp.status
            except (TimeoutError, aiohttp.ClientError):
                run.errors += 1
                continue
            if status != 200:
                run.errors += 1
                continue
            run.latencies.append(time.perf_counter() - started)
            run.ok_ids.add(msg.msg_id)
            run.passive += body not in (b"success", b"")

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*[sender(http) for _ in range(concurrency)])
        run.elapsed = time.perf_counter() - started
    return run


async def inbox_counts(database_url: str, since) -> tuple[int, int]:
    """Inbox rows written since the run started (a reused database keeps earlier runs' rows)."""
    from sqlalchemy import func, select

    from bot.core.db import Database
    from bot.core.models.messaging import DONE, InboxMessage

    db = Database(database_url)
    try:
        async with db.session() as s:
            recent = InboxMessage.received_at >= since
            rows = (await s.execute(select(func.count()).select_from(InboxMessage).where(recent))).scalar_one()
            done = (await s.execute(select(func.count()).select_from(InboxMessage)
                                    .where(recent, InboxMessage.status == DONE))).scalar_one()
        return rows, done
    finally:
        await db.close()


async def run_bot(args: argparse.Namespace, messages: list, database_url: str, processes: int, workdir: str):
    """One bot phase: start `processes` servers, drive the load, count the inbox."""
    stub, api_base = await wechat_api_stub()
    bot = await start_bot(database_url, secrets.token_urlsafe(40), api_base, processes, workdir)
    from bot.core.models import utcnow

    since = utcnow()
    try:
        cpu_before = cpu_seconds(bot.procs)
        bot_run = await drive(bot.urls, messages, args.concurrency, args.max_seconds)
        cpu_after = cpu_seconds(bot.procs)
        await asyncio.sleep(1.0)  # late answers (past the passive deadline) finish in the background
    finally:
        bot.stop()
        await stub.cleanup()
    rows, done = await inbox_counts(database_url, since)
    cpu = None
    if cpu_before is not None and cpu_after is not None and bot_run.latencies:
        cpu = (cpu_after - cpu_before) / len(bot_run.latencies)
    return bot_run, cpu, rows, done


async def main(args: argparse.Namespace) -> int:
    messages = build_messages(args.requests, args.senders, args.retries)
    unique = len({m.msg_id for m in messages})
    print(f"{len(messages)} requests ({unique} distinct messages, {len(messages) - unique} retries) from "
          f"{args.senders} senders, {args.concurrency} concurrent, safe mode, loopback")

    bare = await start_bare()
    try:
        await drive(bare.urls, messages[: min(200, len(messages))], args.concurrency, args.max_seconds)  # warm-up
        bare_run = await drive(bare.urls, messages, args.concurrency, args.max_seconds)
    finally:
        bare.stop()

    workdir = tempfile.mkdtemp(prefix="etp-bench-")
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir}/bench.db"
    runs = []
    for processes in args.processes:
        # each phase runs under a fresh secret key: its messages and contacts are new to the database;
        # the same messages signed again (the server refuses signatures more than 5 minutes old)
        messages = build_messages(args.requests, args.senders, args.retries)
        runs.append((processes, *await run_bot(args, messages, database_url, processes, workdir)))

    print(f"\n{'target':<10} {'answered':>8} {'errors':>7} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    print(bare_run.line("bare"))
    for processes, bot_run, *_ in runs:
        print(bot_run.line(f"etp-bot×{processes}"))
    ok = True
    for processes, bot_run, cpu, rows, done in runs:
        lost = len(bot_run.ok_ids) - done
        doubled = max(0, rows - unique)
        print(f"\netp-bot×{processes}: throughput / bare {bot_run.throughput / bare_run.throughput:.1%}; "
              f"passive replies {bot_run.passive} of {len(bot_run.latencies)}")
        if cpu is not None:
            # unlike req/s, the CPU per request does not depend on what else the machine is doing
            print(f"  server CPU per answered request: {cpu * 1000:.1f} ms (all {processes} process(es))")
        print(f"  inbox rows: {rows} (done {done}) for {len(bot_run.ok_ids)} acknowledged distinct messages; "
              f"lost: {lost}; doubled: {doubled}")
        ok = ok and lost == 0 and doubled == 0 and bot_run.errors == 0
    first_processes, first_run = runs[0][0], runs[0][1]
    for processes, bot_run, *_ in runs[1:]:
        print(f"throughput {processes} processes / {first_processes}: {bot_run.throughput / first_run.throughput:.2f}")
    print(f"database: {database_url.split('://')[0]}")
    return 0 if ok else 1


def _counts(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of process counts: {value!r}") from exc
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("process counts must be 1 or more")
    return counts


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--senders", type=int, default=400, help="distinct OpenIDs (keep requests/senders under the "
                                                           "per-contact rate limit of 20 a minute)")
    p.add_argument("--retries", type=float, default=0.05, help="share of requests that repeat a MsgId")
    p.add_argument("--max-seconds", type=float, default=120.0, help="bound on each phase")
    p.add_argument("--database-url", help="default: SQLite in a temporary directory")
    p.add_argument("--processes", type=_counts, default=[1], metavar="N[,N…]",
                   help="bot server processes; a list such as 1,2 runs each and prints the ratio "
                        "(more than one needs PostgreSQL)")
    p.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    ns = parse()
    if ns.serve_bare:
        serve_bare(ns.serve_bare)
        sys.exit(0)
    sys.exit(asyncio.run(main(ns)))
