"""Killing the server between receiving a message and delivering the reply: after a restart the
reply is delivered exactly once. The server is the real `etp-bot serve` in a subprocess, killed
with SIGKILL (no clean shutdown), over the same database."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import OutboxMessage
from bot.core.models import outbox as st
from tests.fakes import telegram as tg
from tests.fakes.fixtures import TELEGRAM_SECRET

ROOT = Path(__file__).resolve().parents[2]
CHAT = 8080808


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _start(config, fake, tmp_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ETP_DATABASE_URL": config.database_url,
           "ETP_SECRET_KEY": config.secret_key, "ETP_KEY_FILE": str(tmp_path / "key"),
           "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE": fake.base_url,
           "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET}
    for name in ("WECHAT_TOKEN", "ETP_STAFF_ALERT_TELEGRAM_CHAT"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode()[-2000:])
            try:
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return proc, url
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


async def _outbox_status(db: Database) -> list[str]:
    async with db.session() as s:
        return list((await s.execute(select(OutboxMessage.status))).scalars())


async def test_killed_between_receiving_and_delivering_then_delivered_once(
        telegram_config, fake_telegram, tmp_path) -> None:
    fake_telegram.flood("sendMessage", retry_after=2)  # the first delivery attempt fails …
    db = Database(telegram_config.database_url)
    proc, url = await _start(telegram_config, fake_telegram, tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(url + "/telegram", json=tg.text_update("/help", chat_id=CHAT, update_id=9001),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}) as resp:
                assert resp.status == 200  # stored and acknowledged
        await fake_telegram.wait_for("sendMessage", 1)
        for _ in range(100):  # … and is recorded as due again
            if await _outbox_status(db) == [st.PENDING]:
                break
            await asyncio.sleep(0.05)
        assert await _outbox_status(db) == [st.PENDING]
    finally:
        proc.send_signal(signal.SIGKILL)  # … when the server dies
        proc.wait(10)
    assert fake_telegram.messages_to(CHAT) == []

    proc, url = await _start(telegram_config, fake_telegram, tmp_path)
    try:
        (message,) = [m for m in await _wait_delivered(fake_telegram)]
        assert "Factory Helpdesk" in message["text"]
        # Telegram redelivers the update whose answer it may not have seen: still once
        async with aiohttp.ClientSession() as http:
            async with http.post(url + "/telegram", json=tg.text_update("/help", chat_id=CHAT, update_id=9001),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}) as resp:
                assert resp.status == 200
        await asyncio.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        await db.close()
    assert len(fake_telegram.messages_to(CHAT)) == 1


async def _wait_delivered(fake, timeout: float = 15.0) -> list[dict]:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not fake.messages_to(CHAT):
        assert loop.time() < end, "not delivered after the restart"
        await asyncio.sleep(0.05)
    return fake.messages_to(CHAT)
