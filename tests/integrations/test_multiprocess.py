"""Two real `etp-bot serve` processes over one PostgreSQL behave as one bot (issue 6): duplicate
deliveries landing on both at once are handled once, the outbox delivers each row once with both
workers claiming, scheduled jobs run once, and the WeChat access token is fetched once.

The servers are subprocesses (`python -m bot serve`) talking to the fake platforms, which run in
the test process on loopback; each server's JSON log goes to a file the test reads afterwards.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select, update

from bot.core.config import Config
from bot.core.messages import Reply
from bot.core.models import OutboxMessage, utcnow
from bot.core.models import outbox as ost
from bot.core.models.cases import Case
from bot.core.models.messaging import InboxMessage
from bot.runtime import build_runtime
from bot.services.outbox import enqueue
from tests.conftest import ChatDriver, require
from tests.factories_support import import_rows, new_code
from tests.fakes import telegram as tg
from tests.fakes import wechat as wx
from tests.fakes.fixtures import TELEGRAM_SECRET

ROOT = Path(__file__).resolve().parents[2]
TG_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}


@pytest.fixture
def database_url() -> str:
    """PostgreSQL only (overrides the suite's SQLite/PostgreSQL parametrisation): several
    processes over one database is what PostgreSQL is for."""
    url = os.environ.get("ETP_TEST_POSTGRES_URL")
    require(bool(url), "ETP_TEST_POSTGRES_URL is not set (two server processes need PostgreSQL)")
    return url


# -- two servers ------------------------------------------------------------------------------------
class Server:
    def __init__(self, name: str, proc: subprocess.Popen, url: str, log: Path) -> None:
        self.name, self.proc, self.url, self.log = name, proc, url, log

    def events(self) -> list[dict]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(config: Config, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "TELEGRAM_", "ETP_"))}
    env.update(PYTHONPATH=str(ROOT), ETP_DATABASE_URL=config.database_url, ETP_SECRET_KEY=config.secret_key,
               ETP_KEY_FILE=str(tmp_path / "key"), WECHAT_TOKEN=config.wechat_token,
               WECHAT_APP_ID=config.wechat_app_id, WECHAT_APP_SECRET=config.wechat_app_secret,
               WECHAT_AES_KEY=config.wechat_aes_key, WECHAT_API_BASE=config.wechat_api_base,
               TELEGRAM_BOT_TOKEN=config.telegram_bot_token, TELEGRAM_API_BASE=config.telegram_api_base,
               TELEGRAM_WEBHOOK_SECRET=config.telegram_webhook_secret)
    return env


async def _start(name: str, config: Config, tmp_path: Path) -> Server:
    port, log = _free_port(), tmp_path / f"{name}.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=_env(config, tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr)
    server = Server(name, proc, f"http://127.0.0.1:{port}", log)
    async with aiohttp.ClientSession() as http:
        async def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"server {name} exited: {log.read_text()[-3000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(server.url + "/healthz") as resp:
                    return resp.status == 200
            return False

        while not await healthy():
            await asyncio.sleep(0.05)  # bounded by the caller's deadline
    return server


@contextlib.asynccontextmanager
async def two_servers(config: Config, tmp_path: Path) -> AsyncIterator[tuple[Server, Server]]:
    starts = [asyncio.ensure_future(_start(n, config, tmp_path)) for n in ("a", "b")]
    try:
        a, b = await asyncio.wait_for(asyncio.gather(*starts), 30)
    except BaseException:
        for task in starts:
            if task.done() and not task.exception():
                task.result().proc.kill()
        raise
    try:
        yield a, b
    finally:
        for server in (a, b):
            server.proc.send_signal(signal.SIGTERM)
        for server in (a, b):
            try:
                server.proc.wait(15)
            except subprocess.TimeoutExpired:
                server.proc.kill()
    errors = [e for s in (a, b) for e in s.events() if e.get("level") in ("error", "critical")]
    assert not errors, errors  # e.g. a deadlock or a unique violation between the processes


async def until(condition: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Poll a (sync or async) condition until it holds, or fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        assert loop.time() < end, f"timed out waiting: {what}"
        await asyncio.sleep(0.05)


async def scalar(db, stmt):
    async with db.session() as s:
        return (await s.execute(stmt)).scalar_one()


async def all_sent(db) -> bool:
    """Every outbox row is sent (nothing pending or being sent: no delivery can still come)."""
    unsent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != ost.SENT)
    return await scalar(db, unsent) == 0


def delivered_ids(server: Server, channel: str) -> list[int]:
    return [e["outbox_id"] for e in server.events()
            if e.get("msg") == "outbox delivery" and e.get("channel") == channel and e.get("outcome") == ost.SENT]


@pytest.fixture
async def runtime_pg(channels_config: Config):
    """A runtime in the test process over the same database (migrates it; reads what the servers did)."""
    rt = await build_runtime(channels_config)
    yield rt
    await rt.close()


# -- the tests ----------------------------------------------------------------------------------------
async def test_a_wechat_message_and_its_retries_on_both_processes_run_the_dialogue_once(
        channels_config, runtime_pg, tmp_path) -> None:
    platform = wx.WeChatPlatform()
    openid = "oMultiProcessUser00000000001"
    async with two_servers(channels_config, tmp_path) as (a, b), \
            aiohttp.ClientSession(base_url=a.url) as http_a, aiohttp.ClientSession(base_url=b.url) as http_b:
        user_a, user_b = wx.WeChatUser(http_a, platform, openid), wx.WeChatUser(http_b, platform, openid)
        confirm = await user_a.say("/human My wages were not paid for March")
        (send_digit,) = [line.split(".")[0].strip() for line in confirm.splitlines()
                         if line.strip()[:1].isdigit() and line.split(".", 1)[1].strip().lower() == "send"]

        # the digit that sends the case, delivered four times at once (WeChat's retries, same MsgId)
        xml = platform.text(openid, send_digit, msg_id=platform.next_msg_id())
        answers = await asyncio.gather(*[user.deliver(xml) for user in (user_a, user_b, user_b, user_a)])

    passive = {text for text in answers if text is not None}
    assert len(passive) == 1, answers  # every answer the same passive reply (or "success")
    (reply,) = passive
    db = runtime_pg.db
    async with db.session() as s:
        (case,) = (await s.execute(select(Case))).scalars().all()  # the dialogue ran once
        rows = (await s.execute(select(InboxMessage).order_by(InboxMessage.id))).scalars().all()
    assert case.queue == "helpdesk"
    assert len(rows) == 2 and [r.attempts for r in rows] == [1, 1]  # the command, then the digit: once
    assert any(ch.isdigit() for ch in reply)  # the case reference is in the one reply


async def test_the_same_telegram_update_on_both_processes_is_answered_once(
        channels_config, runtime_pg, fake_telegram, tmp_path) -> None:
    chat = 7707001
    update = tg.text_update("/help", chat_id=chat, update_id=880001)
    async with two_servers(channels_config, tmp_path) as (a, b), aiohttp.ClientSession() as http:
        async def post(url: str) -> int:
            async with http.post(url + "/telegram", json=update, headers=TG_HEADERS) as resp:
                return resp.status

        assert await asyncio.gather(*[post(s.url) for s in (a, b, a, b)]) == [200] * 4
        await until(lambda: fake_telegram.messages_to(chat), "the reply")
        await until(lambda: all_sent(runtime_pg.db), "the outbox drained")
    (message,) = fake_telegram.messages_to(chat)
    assert "Factory Helpdesk" in message["text"]
    assert await scalar(runtime_pg.db, select(func.count()).select_from(InboxMessage)) == 1


async def test_outbox_rows_are_delivered_once_with_both_workers_claiming(
        channels_config, runtime_pg, fake_telegram, tmp_path) -> None:
    chat, count = 7707002, 60
    db = runtime_pg.db
    async with two_servers(channels_config, tmp_path) as (a, b):
        release = fake_telegram.hang("sendMessage")  # a worker holds its claimed rows while sending
        due = utcnow() + timedelta(seconds=2)
        async with db.session() as s:
            for n in range(count):
                await enqueue(s, runtime_pg.services.secrets, channel="telegram", replies=[Reply(f"bulk {n}")],
                              kind="notice", destination=str(chat))
            await s.execute(update(OutboxMessage).values(next_attempt_at=due))
        # Another claimer holds the rows' locks when they fall due: both workers poll (every second)
        # while the rows are due and locked. A claim that does not lock (or skip) them would hand the
        # same rows to both workers once the lock goes.
        async with db.session() as s:
            await s.execute(select(OutboxMessage.id).with_for_update())
            await until(lambda: utcnow() > due + timedelta(seconds=1.5), "the rows due for two polls")
        # both workers are sending at once (each sends one at a time): two batches claimed concurrently
        await until(lambda: len(fake_telegram.calls_to("sendMessage")) >= 2, "both workers sending")
        release.set()
        await until(lambda: all_sent(db), "the outbox drained", timeout=30)
    texts = sorted(m["text"] for m in fake_telegram.messages_to(chat))
    assert texts == sorted(f"bulk {n}" for n in range(count))  # each exactly once
    by_a, by_b = delivered_ids(a, "telegram"), delivered_ids(b, "telegram")
    assert by_a and by_b, "both processes delivered"
    assert sorted(by_a + by_b) == sorted(set(by_a + by_b)) and len(by_a + by_b) == count


async def test_the_wechat_token_is_fetched_once_for_both_processes(
        channels_config, runtime_pg, fake_wechat, tmp_path) -> None:
    fake_wechat.token_delay = 2.5  # a slow first fetch: the other process's worker (polling each second) needs it meanwhile
    platform = wx.WeChatPlatform()
    openids = [f"oMultiTokenUser0000000000{n:02d}" for n in range(3)]
    async with two_servers(channels_config, tmp_path) as (a, b), aiohttp.ClientSession(base_url=a.url) as http:
        for openid in openids:  # each writes once: inside the 48-hour customer-service window
            assert await wx.WeChatUser(http, platform, openid).say("hello")
        assert fake_wechat.token_requests == 0  # passive replies need no token
        async with runtime_pg.db.session() as s:
            for n in range(36):
                await enqueue(s, runtime_pg.services.secrets, channel="wechat", kind="notice",
                              replies=[Reply(f"notice {n}")], destination=openids[n % 3])
        await until(lambda: all_sent(runtime_pg.db), "the outbox drained", timeout=30)
    assert sorted(fake_wechat.sent_texts()) == sorted(f"notice {n}" for n in range(36))
    assert delivered_ids(a, "wechat") and delivered_ids(b, "wechat"), "both processes sent"
    assert fake_wechat.token_requests == 1


async def test_scheduled_jobs_run_once_across_both_processes(
        channels_config, runtime_pg, fake_telegram, tmp_path) -> None:
    chat = 7707003
    ends = runtime_pg.services.today() + timedelta(days=30)  # the 30-day reminder is due today
    await import_rows(runtime_pg.db, f"M1,Multi Toys Ltd,certified,2025-01-01,,{ends.isoformat()},,,")
    binder = ChatDriver(runtime_pg, channel="telegram", contact=str(chat))
    await binder.send("/lang en")
    await binder.send(f"/bind {await new_code(runtime_pg, 'M1', days=365)}")
    async with two_servers(channels_config, tmp_path) as (a, b):  # each runs its due jobs at start
        await until(lambda: fake_telegram.messages_to(chat), "the reminder")
        await until(lambda: all_sent(runtime_pg.db), "the outbox drained")
        await until(lambda: [e for s in (a, b) for e in s.events() if e.get("event") == "purge"], "purge ran")
    (reminder,) = fake_telegram.messages_to(chat)
    assert "30" in reminder["text"] and "Multi Toys" in reminder["text"]
    events = [e.get("event") for s in (a, b) for e in s.events()]
    assert events.count("reminders") == 1 and events.count("purge") == 1  # each job ran in one process
