"""The WeChat API client and the outbox sender against the fake WeChat API: one shared access
token, the 48-hour customer-service window, errors, the custom menu."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from bot.commands.platforms import create_menu
from bot.core.db import Database
from bot.core.messages import Choice, Reply
from bot.core.models import Contact, utcnow
from bot.core.models import outbox as st
from bot.outbox_worker import OutboxWorker
from bot.runtime import build_runtime
from bot.services.contacts import get_or_create_contact
from bot.services.outbox import enqueue
from integrations import appkeys as K
from integrations.wechat import MENU
from integrations.wechat.api import WeChatAPI
from integrations.wechat.send import WeChatSender
from tests.fakes import wechat as wx

from .conftest import outbox_rows, runtime_of

OPENID = "oWx_Api_User_00000000002"


async def test_the_token_is_fetched_once_and_shared_by_processes(wechat_config, fake_wechat) -> None:
    runtime = await build_runtime(wechat_config)
    other_db = Database(wechat_config.database_url)  # a second process: its own engine and client
    fake_wechat.token_delay = 0.3
    a = WeChatAPI(wechat_config, runtime.db, runtime.services.secrets)
    b = WeChatAPI(wechat_config, other_db, runtime.services.secrets)
    try:
        await asyncio.gather(*[(a if i % 2 else b).send_text(OPENID, f"m{i}") for i in range(10)])
        assert fake_wechat.token_requests == 1
        assert len(fake_wechat.sent_texts(OPENID)) == 10
        fake_wechat.expire_token()  # WeChat rejects it (42001): refreshed once, the call repeated
        await a.send_text(OPENID, "after expiry")
        await b.send_text(OPENID, "from the other process")
        assert fake_wechat.token_requests == 2
        assert fake_wechat.sent_texts(OPENID)[-2:] == ["after expiry", "from the other process"]
    finally:
        await a.close()
        await b.close()
        await other_db.close()
        await runtime.close()


async def test_the_token_is_stored_encrypted(wechat_config, fake_wechat) -> None:
    runtime = await build_runtime(wechat_config)
    api = WeChatAPI(wechat_config, runtime.db, runtime.services.secrets)
    try:
        token = await api.access_token()
        from bot.core.models import SharedValue

        async with runtime.db.session() as s:
            (row,) = (await s.execute(select(SharedValue))).scalars().all()
        assert token.startswith("ACCESS_TOKEN_") and token not in row.value_enc
    finally:
        await api.close()
        await runtime.close()


async def test_48_hour_window_holds_then_releases_on_the_next_message(
        wechat_config, fake_wechat, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        runtime = runtime_of(client)
        user = wechat_user(client, OPENID)
        await user.say("/lang en")
        async with runtime.db.session() as s:
            await s.execute(update(Contact).values(last_inbound_at=utcnow() - timedelta(hours=49)))
            contact = (await s.execute(select(Contact))).scalar_one()
            await enqueue(s, runtime.services.secrets, channel="wechat", contact_id=contact.id,
                          kind="staff_reply", replies=[Reply("Staff answer 314", (Choice("menu", "Menu"),))])
        worker = OutboxWorker(runtime.db, runtime.services.secrets, {"wechat": client.app[K.SENDERS]["wechat"]})
        await worker.deliver_due()
        (row,) = await outbox_rows(runtime)
        assert row.status == st.HELD and fake_wechat.sent_texts() == []
        await user.say("menu")  # the window reopens: held messages become due
        texts = (await fake_wechat.wait_for(wx.CS_SEND))
        assert texts[0]["text"]["content"] == "Staff answer 314\n\n1. Menu"
        assert texts[0]["_raw_utf8"]
        await asyncio.sleep(0.1)
        (row,) = await outbox_rows(runtime)
        assert row.status == st.SENT


async def test_customer_service_errors_hold_fail_or_retry(wechat_config, fake_wechat) -> None:
    runtime = await build_runtime(wechat_config)
    secrets = runtime.services.secrets
    api = WeChatAPI(wechat_config, runtime.db, secrets)
    worker = OutboxWorker(runtime.db, secrets, {"wechat": WeChatSender(api, runtime.db, secrets)})
    try:
        async with runtime.db.session() as s:
            contact = await get_or_create_contact(s, secrets, "wechat", OPENID)
            contact.last_inbound_at = utcnow()
            for n in range(3):
                await enqueue(s, secrets, channel="wechat", contact_id=contact.id, kind="staff_reply",
                              replies=[Reply(f"answer {n}")])
        fake_wechat.error(wx.CS_SEND, 45015, "response out of time limit")
        fake_wechat.error(wx.CS_SEND, 43004, "require subscribe")
        fake_wechat.http_error(wx.CS_SEND, 502)
        for _ in range(3):
            await worker.deliver_due()
        rows = await outbox_rows(runtime)
        assert [r.status for r in rows] == [st.HELD, st.FAILED, st.PENDING]
        assert "43004" in rows[1].last_error
        await worker.deliver_due(now=utcnow() + timedelta(minutes=1))
        assert (await outbox_rows(runtime))[2].status == st.SENT
        assert fake_wechat.sent_texts() == ["answer 2"]
    finally:
        await api.close()
        await runtime.close()


async def test_reminders_use_the_template_outside_the_window(wechat_config, fake_wechat) -> None:
    from dataclasses import replace

    config = replace(wechat_config, wechat_template_reminder="TPL-REMIND-1")
    runtime = await build_runtime(config)
    secrets = runtime.services.secrets
    api = WeChatAPI(config, runtime.db, secrets)
    worker = OutboxWorker(runtime.db, secrets, {"wechat": WeChatSender(api, runtime.db, secrets,
                                                                       template_reminder="TPL-REMIND-1")})
    try:
        async with runtime.db.session() as s:
            contact = await get_or_create_contact(s, secrets, "wechat", OPENID)  # never wrote: no window
            await enqueue(s, secrets, channel="wechat", contact_id=contact.id, kind="reminder",
                          replies=[Reply("Your certificate ends in 30 days.")])
        await worker.deliver_due()
        (call,) = fake_wechat.calls_to(wx.TEMPLATE_SEND)
        assert call["template_id"] == "TPL-REMIND-1" and call["touser"] == OPENID
        assert call["data"]["content"]["value"] == "Your certificate ends in 30 days."
        assert (await outbox_rows(runtime))[0].status == st.SENT
    finally:
        await api.close()
        await runtime.close()


async def test_wechat_menu_command_creates_the_contract_menu(wechat_config, fake_wechat) -> None:
    await create_menu(wechat_config)
    (menu,) = fake_wechat.calls_to(wx.MENU_CREATE)
    keys = {b["key"] for top in menu["button"] for b in top.get("sub_button", [top])}
    assert keys == {"MENU", "FAQ", "STATUS", "HELPLINE", "REPORT", "HUMAN", "LANG", "HELP"}
    assert menu["_raw_utf8"] and menu["button"][0]["name"] == MENU["button"][0]["name"] == "常见问题"
    assert len(menu["button"]) <= 3 and all(len(t.get("sub_button", [])) <= 5 for t in menu["button"])


def _menu_env(monkeypatch, config, api_base: str) -> None:
    for name, value in {"ETP_DATABASE_URL": config.database_url, "ETP_SECRET_KEY": config.secret_key,
                        "ETP_KEY_FILE": config.key_file, "WECHAT_TOKEN": config.wechat_token,
                        "WECHAT_APP_ID": config.wechat_app_id, "WECHAT_APP_SECRET": config.wechat_app_secret,
                        "WECHAT_API_BASE": api_base}.items():
        monkeypatch.setenv(name, value)


async def test_wechat_menu_errors_are_one_line_without_secrets(wechat_config, fake_wechat, monkeypatch,
                                                               capsys) -> None:
    """`etp-bot wechat menu` when WeChat fails at each step: one line on stderr, exit 2, and
    neither the AppSecret (in the token URL) nor an access token (in every API URL) in it."""
    from bot.cli import main

    _menu_env(monkeypatch, wechat_config, fake_wechat.url)

    async def run() -> str:
        assert await asyncio.to_thread(main, ["wechat", "menu"]) == 2
        out, err = capsys.readouterr()
        for secret in (wx.APP_SECRET, "ACCESS_TOKEN_", wechat_config.secret_key, "Traceback"):
            assert secret not in out + err
        assert len(err.strip().splitlines()) == 1
        return err.strip()

    fake_wechat.http_error(wx.TOKEN_PATH, 500)  # the token endpoint fails
    assert await run() == "etp-bot: WeChat refused the menu: WeChat API error -1: HTTP 500 from /cgi-bin/token"
    fake_wechat.http_error(wx.MENU_CREATE, 502)  # the token is fetched, the menu call fails
    assert "HTTP 502 from /cgi-bin/menu/create" in await run()
    assert fake_wechat.token_requests == 2  # the failed one, then the token the menu call carried
    fake_wechat.error(wx.MENU_CREATE, 40164, f"invalid ip, not in whitelist (secret {wx.APP_SECRET})")
    assert "40164" in await run()  # even an answer that echoes the secret shows it scrubbed
    _menu_env(monkeypatch, wechat_config, "http://127.0.0.1:9")  # nothing listens there
    assert "the WeChat API is unreachable" in await run()
    _menu_env(monkeypatch, wechat_config, fake_wechat.url)
    assert await asyncio.to_thread(main, ["wechat", "menu"]) == 0
    assert "WeChat menu created" in capsys.readouterr().out
