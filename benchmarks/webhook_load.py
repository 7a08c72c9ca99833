"""Load on `POST /wechat` over loopback: etp-bot side by side with a bare aiohttp handler.

    python benchmarks/webhook_load.py [--seconds 10] [--concurrency 32,256]
        [--databases sqlite,postgresql] [--processes 1,2] [--modes plain,safe]
        [--database-url URL] [--retries 0.05] [--driver aiohttp|wrk] [--new-senders] [--crash]
        [--tree DIR]

For every combination (database × plaintext or safe mode × server processes × concurrency) it
runs the bare server (aiohttp reading the body and answering "success", the ceiling for this
stack) and then the real server (`etp-bot serve`, N processes on N loopback ports) with the same
kind of requests, signed (and in safe mode encrypted) by wechatpy exactly as WeChat sends them,
each a real FAQ question with a fresh MsgId from one of many OpenIDs, a share of them
WeChat-style retries of a MsgId already sent. Each line gives requests per second, the bot's
share of bare measured just before it (the machine is shared: compare ratios, not req/s), p50
and p99 latency, the server CPU per answered request (user + system, all its processes), what
shares the machine with it (the machine's busy share, PostgreSQL's and the load generator's CPU
per request: on 2 cores they bound what a second process can add), the
mean rows per group commit (store / process), and what was verified after the run from the
database: every acknowledged message stored and processed (`lost`), and each sender's
rate-limit count equal to its messages processed (`twice`: a message whose dialogue ran twice).

`--driver wrk` sends the same requests from Debian's wrk (-t1 per server, as the issue measured)
instead of this script's aiohttp client: wrk costs the machine far less CPU per request, so bare
aiohttp reaches about twice the req/s and the bot's share of it falls by about as much. wrk cannot
say which MsgId a 200 answered, so that check is by counts (no more distinct messages left
unprocessed than requests left without a 200). Give it enough messages for the phase (--senders
1000 or more at 10 s), or it stops early and says so.

`--crash` instead kills the server with SIGKILL under load, restarts it, redelivers every
request (as WeChat retries an unanswered one; the acknowledged ones too) and verifies the same.

`--tree DIR` runs the server from another checkout (a worktree of the commit to compare): run the
script once with each tree, interleaved, and compare the shares of bare; only the server's code
changes, the load and the checks stay this script's.

PostgreSQL comes from --database-url or ETP_TEST_POSTGRES_URL (skipped when neither is set);
more than one process needs it. Everything stays on 127.0.0.1; the WeChat API the bot might call
(customer-service messages) is a local stub. Each phase is bounded in time.
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
from urllib.parse import urlencode

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

    def kill(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGKILL)
        for p in self.procs:
            p.wait(15)

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


def machine_cpu() -> tuple[int, int, float, float] | None:
    """On Linux (None elsewhere): the machine's busy and total jiffies since boot, PostgreSQL's CPU
    seconds (every `postgres` process) and this load generator's: what shares the machine with the bot."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    postgres = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended
            continue
        if "(postgres)" in text:
            rest = text.rsplit(")", 1)[1].split()
            postgres += int(rest[11]) + int(rest[12])  # utime, stime
    own = os.times()
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields), postgres / os.sysconf("SC_CLK_TCK"), own.user + own.system


@dataclass
class Sharing:
    """While the bot ran: the machine's busy share (of all its cores), and PostgreSQL's and this
    load generator's CPU per answered request (ms), beside the bot's own."""

    busy: float
    postgres_ms: float
    client_ms: float

    @staticmethod
    def between(before, after, answered: int) -> Sharing | None:
        if before is None or after is None or not answered:
            return None
        return Sharing((after[0] - before[0]) / max(1, after[1] - before[1]),
                       (after[2] - before[2]) / answered * 1000, (after[3] - before[3]) / answered * 1000)


async def start(commands: list[tuple[list[str], dict[str, str], int]], log_dir: str | None = None,
                cwd: Path = ROOT) -> Servers:
    procs, urls = [], []
    for argv, env, port in commands:
        err = open(f"{log_dir}/server-{port}.log", "wb") if log_dir else subprocess.DEVNULL  # noqa: SIM115
        procs.append(subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err))
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


async def start_bot(database_url: str, secret: str, api_base: str, processes: int, workdir: str,
                    safe: bool = True, tree: Path = ROOT) -> Servers:
    """`processes` servers of the code in `tree` (this checkout by default; `--tree` for an A/B run:
    the directory is both the working directory and the only PYTHONPATH, so its own `bot` is imported)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TELEGRAM_", "ETP_"))}
    env.update({"PYTHONPATH": str(tree), "ETP_DATABASE_URL": database_url,
                "ETP_SECRET_KEY": secret, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID,
                "WECHAT_APP_SECRET": "bench-secret", "WECHAT_API_BASE": api_base, "ETP_KEY_FILE": f"{workdir}/key"})
    if safe:
        env["WECHAT_AES_KEY"] = AES_KEY
    ports = [free_port() for _ in range(processes)]
    commands = [([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env, port)
                for port in ports]
    first = await start(commands[:1], workdir, tree)  # creates the schema before the others start
    rest = await start(commands[1:], workdir, tree)
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
    sender: str
    retry: bool


PER_SENDER = 15  # messages of one sender in a phase at most: under the rate limit of 20 a minute
_MSG_IDS = itertools.count(int(time.time()) * 1000)


def build_messages(requests: int, retry_share: float, safe: bool, prefix: str, senders: int | None = None,
                   seed: int = 1) -> list[Message]:
    """`requests` WeChat requests from `senders` OpenIDs made of `prefix` (the phase's own), by
    default enough that none passes the rate limit (20 a minute)."""
    from tests.fakes.wechat import WeChatPlatform

    platform = WeChatPlatform(TOKEN, AES_KEY if safe else None, APP_ID)
    rng = random.Random(f"{seed}:{prefix}")  # nonces of their own: a (timestamp, nonce) pair is accepted once
    senders = senders or max(50, requests // PER_SENDER)
    out: list[Message] = []
    for n in range(requests):
        if out and rng.random() < retry_share:
            first = out[rng.randrange(len(out))]
            out.append(Message(first.query, first.body, first.msg_id, first.sender, True))  # as WeChat retries
            continue
        openid = f"o{prefix}{n % senders:08d}"
        msg_id = next(_MSG_IDS)
        xml = platform.text(openid, QUESTIONS[(n // senders) % len(QUESTIONS)], msg_id=msg_id)
        query, body = platform.request(xml, nonce=str(rng.randrange(10**9, 10**10)))
        out.append(Message(query, body, msg_id, openid, False))
    return out


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    ok_ids: set[int] = field(default_factory=set)
    passive: int = 0
    elapsed: float = 0.0
    sent: int = 0

    @property
    def answered(self) -> int:
        return len(self.latencies)

    def p(self, q: float) -> float:
        lat = sorted(self.latencies)
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

    @property
    def throughput(self) -> float:
        return self.answered / self.elapsed if self.elapsed else 0.0

    def sent_messages(self, messages: list[Message]) -> list[Message]:
        return messages[:self.sent]


@dataclass
class WrkRun(Run):
    """What wrk reports: counts and percentiles, not which request was answered."""

    count: int = 0
    percentiles: dict[float, float] = field(default_factory=dict)  # quantile -> ms
    sent_list: list[Message] = field(default_factory=list)  # what the wrks sent, each its share in order
    exhausted: bool = False

    @property
    def answered(self) -> int:
        return self.count

    def p(self, q: float) -> float:
        return self.percentiles.get(q, float("nan"))

    def sent_messages(self, messages: list[Message]) -> list[Message]:
        return self.sent_list


async def drive(urls: list[str], messages: list[Message], concurrency: int, seconds: float, *,
                cycle: bool = False, stop: asyncio.Event | None = None) -> Run:
    """Send `messages` from `concurrency` concurrent senders for at most `seconds` (`cycle`:
    start again at the end, for the bare server, which does not mind repeats)."""
    run = Run()
    source = itertools.cycle(enumerate(messages)) if cycle else iter(enumerate(messages))
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=15)

    async def sender(http: aiohttp.ClientSession) -> None:
        for n, msg in source:
            if time.perf_counter() > deadline or (stop is not None and stop.is_set()):
                return
            run.sent += 1
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


# wrk (-t1, one Lua state): requests read from a file of `path<TAB>hex body` lines, sent in order
# (from the start again when `cycle` is "1", else each once); counts and percentiles printed
WRK_LUA = r"""
n, ok, bad, total = 0, 0, 0, 0  -- globals: done() reads them from the thread
local R, cycle = {}, false
local function unhex(h) return (h:gsub("..", function(cc) return string.char(tonumber(cc, 16)) end)) end
init = function(args)
  cycle = args[2] == "1"
  for line in io.lines(args[1]) do
    local path, body = line:match("^(.-)\t(.*)$")
    R[#R + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, unhex(body))
  end
  total = #R
end
request = function()
  n = n + 1
  if n > #R then
    if not cycle then wrk.thread:stop() end
    return R[((n - 1) % #R) + 1]
  end
  return R[n]
end
response = function(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local t = threads[1]
  io.write(string.format("WRK %d %d %d %d %d %.1f %.1f\n", t:get("n"), t:get("ok"), t:get("bad") + summary.errors.timeout,
    summary.duration, t:get("total"), latency:percentile(50), latency:percentile(99)))
end
"""


async def drive_wrk(urls: list[str], messages: list[Message], concurrency: int, seconds: float, workdir: str, *,
                    cycle: bool = False) -> WrkRun:
    """The same load from wrk (-t1 per server, the connections shared among the servers): its
    client costs far less CPU than aiohttp's, as in the issue's measurement. It cannot tell which
    MsgId a response answered, so the check after it is by counts (see `verify`)."""
    script = Path(workdir) / "load.lua"
    script.write_text(WRK_LUA)
    shares = [messages[i::len(urls)] for i in range(len(urls))]
    procs = []
    for i, (url, share) in enumerate(zip(urls, shares, strict=True)):
        data = Path(workdir) / f"load-{i}.txt"
        data.write_text("".join(f"/wechat?{urlencode(m.query)}\t{m.body.hex()}\n" for m in share))
        procs.append(await asyncio.create_subprocess_exec(
            "wrk", "-t1", f"-c{max(1, concurrency // len(urls))}", f"-d{seconds:g}s", "--timeout", "15s",
            "-s", str(script), url, "--", str(data), "1" if cycle else "0",
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    run = WrkRun()
    p50s, p99s = [], []
    for proc, share in zip(procs, shares, strict=True):
        out = (await proc.communicate())[0].decode()
        line = next((line for line in out.splitlines() if line.startswith("WRK ")), None)
        if line is None:
            raise RuntimeError(f"wrk said: {out.strip()}")
        sent, ok, bad, duration_us, total, p50, p99 = line.split()[1:]
        run.sent_list += share[:min(int(sent), int(total))]
        run.exhausted = run.exhausted or (not cycle and int(sent) > int(total))
        run.count += int(ok)
        run.errors += int(bad)
        run.elapsed = max(run.elapsed, int(duration_us) / 1e6)
        p50s.append((float(p50) / 1000, int(ok)))
        p99s.append(float(p99) / 1000)
    run.sent = len(run.sent_list)
    weight = sum(n for _, n in p50s)
    run.percentiles = {0.5: sum(p * n for p, n in p50s) / weight if weight else float("nan"),
                       0.99: max(p99s)}  # several servers: p50 weighted, the worst p99
    return run


# -- verification ------------------------------------------------------------------------------------
@dataclass
class Check:
    acknowledged: int = 0
    lost: int = 0  # acknowledged, but not in the inbox as processed
    twice: int = 0  # a sender's rate-limit count above its messages processed: a dialogue ran twice
    processed: int = 0

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.twice == 0


def inbox_key(message: Message) -> str:
    """The inbox's key of a WeChat text message (`integrations.wechat.receive.to_incoming`)."""
    return f"inbox:wechat:{message.sender}|{message.msg_id}"


async def verify(database_url: str, secret: str, messages: list[Message], acknowledged: set[int] | None,
                 unanswered: int = 0) -> Check:
    """From the database: each acknowledged MsgId is stored and done; each sender's messages
    were counted by the rate limit (which runs once per processing, in its transaction) exactly
    as often as they are stored done. `acknowledged` None (wrk: counts only): of the distinct
    messages sent, no more are left unprocessed than there were requests without a 200."""
    from sqlalchemy import select

    from bot.core.crypto import Secrets
    from bot.core.db import Database
    from bot.core.models.messaging import DONE, InboxMessage, RateBucket

    secrets = Secrets(secret)
    # each MsgId's first request sent: a retry counts as the first when its original was not sent
    # (two servers, two wrk: a retry in one's share may repeat a message the other never reached)
    first: dict[int, Message] = {}
    for m in messages:
        first.setdefault(m.msg_id, m)
    by_hash = {secrets.lookup_hash(inbox_key(m)): m for m in first.values()}
    db = Database(database_url)
    done: dict[str, int] = {}
    check = Check(acknowledged=len(acknowledged) if acknowledged is not None else len(first))
    try:
        async with db.session() as s:
            hashes = list(by_hash)
            stored = {}
            for i in range(0, len(hashes), 500):
                stored.update((await s.execute(select(InboxMessage.key_hash, InboxMessage.status).where(
                    InboxMessage.channel == "wechat", InboxMessage.key_hash.in_(hashes[i:i + 500])))).all())
            for h, status in stored.items():
                if status == DONE:
                    done[by_hash[h].sender] = done.get(by_hash[h].sender, 0) + 1
            check.processed = sum(done.values())
            if acknowledged is None:
                check.lost = max(0, len(first) - check.processed - unanswered)
            else:
                check.lost = sum(1 for msg_id in acknowledged if msg_id not in first or
                                 stored.get(secrets.lookup_hash(inbox_key(first[msg_id]))) != DONE)
            senders = {m.sender for m in first.values()}
            rate = {secrets.lookup_hash(f"rate:wechat:{o}"): o for o in senders}
            keys = list(rate)
            counted: dict[str, int] = {}
            for i in range(0, len(keys), 500):
                for h, n in (await s.execute(select(RateBucket.key_hash, RateBucket.count)
                                             .where(RateBucket.key_hash.in_(keys[i:i + 500])))).all():
                    counted[rate[h]] = n
            check.twice = sum(max(0, n - done.get(o, 0)) for o, n in counted.items())
    finally:
        await db.close()
    return check


async def group_commit_means(urls: list[str]) -> dict[str, float]:
    """Mean items per group commit, by batch, over the servers (their /metrics)."""
    sums: dict[str, list[float]] = {}
    async with aiohttp.ClientSession() as http:
        for url in urls:
            try:
                async with http.get(url + "/metrics") as resp:
                    text = await resp.text()
            except aiohttp.ClientError:
                continue
            for line in text.splitlines():
                for suffix, slot in (("_sum{", 0), ("_count{", 1)):
                    if line.startswith("etp_group_commit_items" + suffix):
                        name = line.split('batch="', 1)[1].split('"', 1)[0]
                        sums.setdefault(name, [0.0, 0.0])[slot] += float(line.rsplit(" ", 1)[1])
    return {name: total / count for name, (total, count) in sums.items() if count}


# -- phases ------------------------------------------------------------------------------------------
@dataclass
class Phase:
    database: str
    mode: str
    processes: int
    concurrency: int
    bare: Run
    bot: Run
    cpu: float | None
    batches: dict[str, float]
    check: Check
    sharing: Sharing | None = None

    def line(self) -> str:
        share = self.bot.throughput / self.bare.throughput if self.bare.throughput else float("nan")
        cpu = f"{self.cpu * 1000:.2f}" if self.cpu is not None else "n/a"
        batch = "/".join(f"{self.batches.get(f'wechat-{b}', 0):.1f}" for b in ("store", "process"))
        share_of = (f"{self.sharing.busy:>5.0%} {self.sharing.postgres_ms:>5.2f} {self.sharing.client_ms:>5.2f}"
                    if self.sharing else f"{'n/a':>5} {'n/a':>5} {'n/a':>5}")
        return (f"{self.database:<10} {self.mode:<5} {self.processes:>2} {self.concurrency:>5} "
                f"{self.bare.throughput:>8.0f} {self.bare.p(0.5):>6.1f} {self.bare.p(0.99):>6.1f} "
                f"{self.bot.throughput:>7.0f} {share:>6.3f} {self.bot.p(0.5):>7.1f} {self.bot.p(0.99):>7.1f} "
                f"{cpu:>6} {share_of} {batch:>9} {self.bot.answered:>7} {self.bot.errors:>5} "
                f"{self.check.lost:>4} {self.check.twice:>5}")


HEADER = (f"{'database':<10} {'mode':<5} {'np':>2} {'conc':>5} {'bare/s':>8} {'p50':>6} {'p99':>6} "
          f"{'bot/s':>7} {'share':>6} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>6} {'busy':>5} {'pg ms':>5} "
          f"{'cl ms':>5} {'batch s/p':>9} "
          f"{'answered':>7} {'err':>5} {'lost':>4} {'twice':>5}")


async def server_group(args, bare: Servers, database: str, url: str, mode: str, processes: int,
                       workdir: str) -> list[Phase]:
    """One set of servers (fresh secret key) and a phase per concurrency against it."""
    stub, api_base = await wechat_api_stub()
    secret = secrets.token_urlsafe(40)
    bot = await start_bot(url, secret, api_base, processes, workdir, safe=mode == "safe", tree=args.tree)
    phases = []

    def load(urls: list[str], measured: list[Message], concurrency: int, *, cycle: bool = False):
        if args.driver == "wrk":
            return drive_wrk(urls, measured, concurrency, args.seconds, workdir, cycle=cycle)
        return drive(urls, measured, concurrency, args.seconds, cycle=cycle)

    try:
        warm = build_messages(200, 0.0, mode == "safe", f"W{secrets.token_hex(3)}")
        await drive(bot.urls, warm, 16, 10)  # imports, caches, connections
        for concurrency in args.concurrency:
            if args.new_senders:  # one message a sender, each its first: the measured run makes the contacts
                messages = build_messages(args.senders, args.retries, mode == "safe", secrets.token_hex(4),
                                          args.senders)
                before, first, measured = [], Run(), messages
            else:
                messages = build_messages(args.senders * PER_SENDER, args.retries, mode == "safe",
                                          secrets.token_hex(4), args.senders)
                # each sender's first message (its contact is new) before the measured run
                before = messages[:args.senders]
                first, measured = await drive(bot.urls, before, 64, 60), messages[args.senders:]
            bare_run = await load(bare.urls, measured, concurrency, cycle=True)
            cpu_before, machine_before = cpu_seconds(bot.procs), machine_cpu()
            bot_run = await load(bot.urls, measured, concurrency)
            cpu_after, machine_after = cpu_seconds(bot.procs), machine_cpu()
            await asyncio.sleep(1.0)  # late answers (past the passive deadline) finish in the background
            cpu = None
            if cpu_before is not None and cpu_after is not None and bot_run.answered:
                cpu = (cpu_after - cpu_before) / bot_run.answered
            sharing = Sharing.between(machine_before, machine_after, bot_run.answered)
            batches = await group_commit_means(bot.urls)
            sent = before + bot_run.sent_messages(measured)
            if isinstance(bot_run, WrkRun):
                check = await verify(url, secret, sent, None, unanswered=bot_run.sent - bot_run.answered)
                if bot_run.exhausted:
                    print(f"(wrk ran out of messages before {args.seconds:g} s: req/s undercounted; "
                          f"raise --senders)", flush=True)
            else:
                check = await verify(url, secret, sent, first.ok_ids | bot_run.ok_ids)
            phase = Phase(database, mode, processes, concurrency, bare_run, bot_run, cpu, batches, check, sharing)
            print(phase.line(), flush=True)
            phases.append(phase)
    finally:
        bot.stop()
        await stub.cleanup()
    return phases


async def crash(args, database: str, url: str, workdir: str) -> bool:
    """SIGKILL under load, restart, every request delivered again: nothing lost, nothing twice."""
    stub, api_base = await wechat_api_stub()
    secret = secrets.token_urlsafe(40)
    messages = build_messages(args.senders * PER_SENDER, args.retries, True, secrets.token_hex(4), args.senders)
    concurrency = args.concurrency[0]
    try:
        bot = await start_bot(url, secret, api_base, 1, workdir, tree=args.tree)
        stop = asyncio.Event()
        load = asyncio.create_task(drive(bot.urls, messages, concurrency, args.seconds * 3, stop=stop))
        await asyncio.sleep(args.seconds / 2)
        bot.kill()
        stop.set()
        first = await load
        bot = await start_bot(url, secret, api_base, 1, workdir, tree=args.tree)
        try:
            again = await drive(bot.urls, messages[:first.sent], concurrency, 120)
            await asyncio.sleep(1.0)
        finally:
            bot.stop()
        check = await verify(url, secret, messages[:first.sent], first.ok_ids | again.ok_ids)
    finally:
        await stub.cleanup()
    print(f"crash ({database}): {first.sent} requests sent, {len(first.ok_ids)} acknowledged before the kill "
          f"({first.errors} unanswered); after the restart {again.sent} redelivered, {again.errors} errors; "
          f"processed {check.processed} of {len({m.msg_id for m in messages[:first.sent]})} distinct; "
          f"lost {check.lost}; twice {check.twice}")
    return check.ok and again.errors == 0


def databases(args, workdir: str) -> list[tuple[str, str]]:
    out = []
    for name in args.databases:
        if name == "sqlite":
            out.append(("sqlite", f"sqlite+aiosqlite:///{workdir}/bench.db"))
        elif args.database_url or os.environ.get("ETP_TEST_POSTGRES_URL"):
            out.append(("postgresql", args.database_url or os.environ["ETP_TEST_POSTGRES_URL"]))
        else:
            print("postgresql skipped: give --database-url or ETP_TEST_POSTGRES_URL")
    return out


async def main(args: argparse.Namespace) -> int:
    workdir = tempfile.mkdtemp(prefix="etp-bench-")
    if args.crash:
        ok = True
        for database, url in databases(args, workdir):
            ok = await crash(args, database, url, workdir) and ok
        return 0 if ok else 1
    print(f"{args.seconds:g} s a phase at most, {args.senders * PER_SENDER} requests at most from {args.senders} "
          f"senders ({args.retries:.0%} retries), loopback; "
          f"np: server processes; share: bot req/s / bare req/s just before; cpu: server CPU per answered "
          f"request; busy: the whole machine's busy share while the bot ran; pg ms, cl ms: PostgreSQL's and this "
          f"load generator's CPU per answered request; batch s/p: mean rows per group commit (store/process); "
          f"lost, twice: verified in the database")
    print(HEADER, flush=True)
    bare = await start_bare()
    phases: list[Phase] = []
    try:
        for database, url in databases(args, workdir):
            for mode in args.modes:
                for processes in args.processes:
                    if processes > 1 and database == "sqlite":
                        continue  # several processes are for PostgreSQL
                    phases += await server_group(args, bare, database, url, mode, processes, workdir)
    finally:
        bare.stop()
    for p in phases:
        if p.processes == 1:
            continue
        one = [q for q in phases if (q.database, q.mode, q.concurrency, q.processes) ==
               (p.database, p.mode, p.concurrency, 1)]
        if one and one[0].bot.throughput:
            print(f"{p.database} {p.mode} c={p.concurrency}: {p.processes} processes / 1: "
                  f"{p.bot.throughput / one[0].bot.throughput:.2f} (share of bare {p.bot.throughput / p.bare.throughput:.3f}"
                  f" / {one[0].bot.throughput / one[0].bare.throughput:.3f})")
    ok = all(p.check.ok and p.bot.errors == 0 for p in phases)
    print("verified: every acknowledged message processed, none twice" if ok else "VERIFICATION FAILED")
    return 0 if ok else 1


def _ints(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value!r}") from exc
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("expected numbers of 1 or more")
    return counts


def _names(allowed: tuple[str, ...]):
    def parse(value: str) -> list[str]:
        names = [v.strip() for v in value.split(",") if v.strip()]
        if not names or set(names) - set(allowed):
            raise argparse.ArgumentTypeError(f"expected some of {', '.join(allowed)}")
        return names

    return parse


def _tree(value: str) -> Path:
    tree = Path(value).resolve()
    if not (tree / "bot" / "cli.py").is_file():
        raise argparse.ArgumentTypeError(f"{value} is not an etp-bot checkout (no bot/cli.py)")
    return tree


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=10.0, help="length of each phase (bare and bot)")
    p.add_argument("--senders", type=int, default=400, help="OpenIDs of a phase; it sends at most "
                                                           f"{PER_SENDER} requests for each (the rate limit)")
    p.add_argument("--concurrency", type=_ints, default=[32, 256], metavar="N[,N…]")
    p.add_argument("--databases", type=_names(("sqlite", "postgresql")), default=["sqlite", "postgresql"])
    p.add_argument("--modes", type=_names(("plain", "safe")), default=["plain", "safe"])
    p.add_argument("--processes", type=_ints, default=[1, 2], metavar="N[,N…]",
                   help="bot server processes (more than one: PostgreSQL only)")
    p.add_argument("--retries", type=float, default=0.05, help="share of requests that repeat a MsgId")
    p.add_argument("--database-url", help="PostgreSQL (default: ETP_TEST_POSTGRES_URL)")
    p.add_argument("--driver", choices=("aiohttp", "wrk"), default="aiohttp",
                   help="load generator: this script's aiohttp client (each MsgId's answer checked), or wrk "
                        "(-t1; far cheaper, as in the issue's figures; checked by counts)")
    p.add_argument("--new-senders", action="store_true",
                   help="every measured message its sender's first (a QR code on a poster, say), one request "
                        "a sender; by default each sender's first message is sent before the measured run")
    p.add_argument("--crash", action="store_true", help="kill -9 under load, restart, redeliver, verify")
    p.add_argument("--tree", type=_tree, default=ROOT, metavar="DIR",
                   help="run the bot server from this checkout (another commit's worktree, for an A/B "
                        "comparison: run once with each tree); the load and the checks stay this script's")
    p.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    ns = parse()
    if ns.serve_bare:
        serve_bare(ns.serve_bare)
        sys.exit(0)
    sys.exit(asyncio.run(main(ns)))
