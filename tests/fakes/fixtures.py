"""Pytest fixtures for the fake platforms and a running bot server (a pytest plugin module,
loaded by `tests/conftest.py`, so every test folder can use them):

- `fake_wechat`, `fake_telegram`: started fake API servers (see `tests/fakes/wechat.py`,
  `tests/fakes/telegram.py`), recording calls, scriptable errors.
- `fake_smtp`, `fake_wecom`: a mail server (aiosmtpd) and a WeCom group-robot webhook, for alerts.
- `wechat_config`: `config` with WeChat in safe mode against `fake_wechat`;
  `telegram_config`: `config` with Telegram against `fake_telegram` (webhook secret set);
  `channels_config`: both.
- `serve`: `async with serve(config) as client:` runs the real application (`create_app`) on a
  loopback port, yielding an aiohttp `TestClient`; `client.app` is the application.
- `wechat_user`: `WeChatUser` factory: `user = wechat_user(client, openid="o…")`;
  `await user.say("hi")` returns the passive reply's text (decrypted).
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core.config import Config

from . import smtp as mail
from . import telegram as tg
from . import wechat as wx
from . import wecom

TELEGRAM_SECRET = "fake-webhook-secret_0123456789"


@pytest.fixture
async def fake_wechat() -> AsyncIterator[wx.FakeWeChatAPI]:
    fake = await wx.FakeWeChatAPI().start()
    yield fake
    await fake.close()


@pytest.fixture
async def fake_telegram() -> AsyncIterator[tg.FakeTelegramAPI]:
    fake = await tg.FakeTelegramAPI().start()
    yield fake
    await fake.close()


@pytest.fixture
async def fake_smtp() -> AsyncIterator[mail.FakeSMTP]:
    fake = await mail.FakeSMTP().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fake_wecom() -> AsyncIterator[wecom.FakeWeCom]:
    fake = await wecom.FakeWeCom().start()
    yield fake
    await fake.close()


def with_wechat(config: Config, fake: wx.FakeWeChatAPI, *, safe_mode: bool = True) -> Config:
    return replace(config, wechat_token=wx.TOKEN, wechat_app_id=fake.app_id, wechat_app_secret=fake.app_secret,
                   wechat_aes_key=wx.AES_KEY if safe_mode else None, wechat_api_base=fake.url)


def with_telegram(config: Config, fake: tg.FakeTelegramAPI) -> Config:
    return replace(config, telegram_bot_token=fake.token, telegram_api_base=fake.base_url,
                   telegram_webhook_secret=TELEGRAM_SECRET)


@pytest.fixture
def wechat_config(config: Config, fake_wechat: wx.FakeWeChatAPI) -> Config:
    return with_wechat(config, fake_wechat)


@pytest.fixture
def telegram_config(config: Config, fake_telegram: tg.FakeTelegramAPI) -> Config:
    return with_telegram(config, fake_telegram)


@pytest.fixture
def channels_config(config: Config, fake_wechat: wx.FakeWeChatAPI, fake_telegram: tg.FakeTelegramAPI) -> Config:
    return with_telegram(with_wechat(config, fake_wechat), fake_telegram)


@contextlib.asynccontextmanager
async def running(config: Config, *, telegram_polling: bool = False, clock=None) -> AsyncIterator[TestClient]:
    from bot.app import create_app
    from integrations import appkeys as K

    app = create_app(config, telegram_polling=telegram_polling)
    if clock is not None:
        async def set_clock(app):
            app[K.RUNTIME].services.clock = clock
            yield
        app.cleanup_ctx.insert(1, set_clock)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def serve():
    return running


@pytest.fixture
def wechat_user():
    platform = wx.WeChatPlatform()
    plain = wx.WeChatPlatform(aes_key=None)

    def make(client, openid: str = "oTestUser0000000000000001", *, safe_mode: bool = True) -> wx.WeChatUser:
        return wx.WeChatUser(client, platform if safe_mode else plain, openid)

    return make
