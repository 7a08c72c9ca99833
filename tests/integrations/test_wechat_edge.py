"""WeChat at its edges: what WeChat really sends (the event shapes of wechatpy's tests and WeChat's
documentation) and what an attacker can send (plaintext to a safe-mode account, stale and replayed
signatures), each through the fake platform and wechatpy's own crypto."""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta

import pytest
import xmltodict
from sqlalchemy import select

from bot.core.config import Config, ConfigError
from bot.core.models import Contact, utcnow
from bot.core.models.factories import Binding
from bot.core.models.messaging import InboxMessage, SeenSignature
from bot.services.auditors import parse_auditors, replace_register
from bot.services.retention import purge
from integrations import wechat as wechat_module
from integrations.inbox import STORED_TEXT, decode_incoming
from integrations.wechat import receive as wechat_receive
from tests.factories_support import import_rows, new_code
from tests.fakes import wechat as wx
from tests.fakes.fixtures import with_wechat

from .conftest import DialogueSpy, count, runtime_of

OPENID = "oWx_Edge_0000000000000001"
VICTIM = "oWx_Victim_00000000000001"


def _query(platform: wx.WeChatPlatform, timestamp: int | str, nonce: str = "424242") -> dict[str, str]:
    timestamp = str(timestamp)
    return {"signature": platform.signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


# -- 1. safe mode takes no plaintext ---------------------------------------------------------------
async def test_safe_mode_refuses_a_plaintext_request(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        plain = wechat_user(client, VICTIM, safe_mode=False)  # signed with the token, body in clear
        resp = await plain.post(plain.platform.text(VICTIM, "/unbind"))
        assert resp.status == 403
        assert await count(runtime_of(client)) == 0
        assert "Main menu" in await wechat_user(client, OPENID).say("/menu")  # encrypted: answered


async def test_a_downgraded_request_is_refused(wechat_config, serve) -> None:
    # a real encrypted request whose query lost encrypt_type and msg_signature, body swapped for plaintext
    platform = wx.WeChatPlatform()
    async with serve(wechat_config) as client:
        query, _ = platform.request(platform.text(VICTIM, "hello"))
        downgraded = {k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")}
        forged = platform.text(VICTIM, "/status").encode()
        assert (await client.post("/wechat", params=downgraded, data=forged)).status == 403
        assert (await client.post("/wechat", params={**downgraded, "encrypt_type": "raw"}, data=forged)).status == 403
        assert await count(runtime_of(client)) == 0


async def test_compatible_mode_takes_both_when_chosen(wechat_config, serve, wechat_user) -> None:
    async with serve(replace(wechat_config, wechat_compat_mode=True)) as client:
        assert "Main menu" in await wechat_user(client, OPENID, safe_mode=False).say("/menu")
        assert "Main menu" in await wechat_user(client, OPENID).say("menu")


def test_compatible_mode_is_a_setting() -> None:
    assert Config.from_env({}).wechat_compat_mode is False
    assert Config.from_env({"WECHAT_COMPAT_MODE": "1"}).wechat_compat_mode is True
    assert Config.from_env({"WECHAT_COMPAT_MODE": "false"}).wechat_compat_mode is False
    with pytest.raises(ConfigError, match="WECHAT_COMPAT_MODE: expected 1, true, yes or on"):
        Config.from_env({"WECHAT_COMPAT_MODE": "maybe"})


# -- 2. stale and replayed signatures --------------------------------------------------------------
@pytest.mark.parametrize("safe_mode", [True, False])
@pytest.mark.parametrize("offset", [-301, 301, -2 * 86400, -30 * 86400])
async def test_a_signature_more_than_five_minutes_off_is_refused(
        config, fake_wechat, serve, wechat_user, safe_mode: bool, offset: int) -> None:
    async with serve(with_wechat(config, fake_wechat, safe_mode=safe_mode)) as client:
        user = wechat_user(client, VICTIM, safe_mode=safe_mode)
        stale = str(int(time.time()) + offset)
        resp = await user.post(user.platform.text(VICTIM, "/status"), timestamp=stale)
        assert resp.status == 403
        assert await count(runtime_of(client)) == 0
        recent = str(int(time.time()) - 240)  # a little clock difference is fine
        assert "Main menu" in await user.deliver(user.platform.text(VICTIM, "/menu"), timestamp=recent)


async def test_url_verification_with_a_stale_signature_is_refused(wechat_config, serve) -> None:
    platform = wx.WeChatPlatform()
    async with serve(wechat_config) as client:
        resp = await client.get("/wechat", params={**_query(platform, 1700000000), "echostr": "e1"})
        assert resp.status == 403
        resp = await client.get("/wechat", params={**_query(platform, "not-a-time"), "echostr": "e1"})
        assert resp.status == 403


@pytest.mark.parametrize("safe_mode", [True, False])
async def test_a_signature_is_accepted_once_for_another_message(
        config, fake_wechat, serve, wechat_user, safe_mode: bool) -> None:
    async with serve(with_wechat(config, fake_wechat, safe_mode=safe_mode)) as client:
        user = wechat_user(client, VICTIM, safe_mode=safe_mode)
        spy = DialogueSpy(runtime_of(client))
        now = str(int(time.time()))
        assert "Main menu" in await user.deliver(user.platform.text(VICTIM, "/menu"), timestamp=now, nonce="777")
        # the same signed query string again, with a message of the attacker's choosing
        resp = await user.post(user.platform.text(VICTIM, "/unbind"), timestamp=now, nonce="777")
        assert resp.status == 403
        resp = await user.post(user.platform.text(OPENID, "/menu"), timestamp=now, nonce="777")
        assert resp.status == 403
        assert spy.runs == 1 and await count(runtime_of(client)) == 1


async def test_wechats_own_retry_repeats_the_query_and_gets_the_stored_reply(wechat_config, serve) -> None:
    # WeChat retries a request it had no answer to with the same query string (signature,
    # timestamp, nonce) and the same message: answered from the inbox, the dialogue ran once
    platform = wx.WeChatPlatform()
    async with serve(wechat_config) as client:
        spy = DialogueSpy(runtime_of(client))
        user = wx.WeChatUser(client, platform, OPENID)
        await user.say("/start")
        msg_id = platform.next_msg_id()
        query, body = platform.request(platform.text(OPENID, "2", msg_id=msg_id))
        replies = []
        for _ in range(3):
            resp = await client.post("/wechat", params=query, data=body)
            assert resp.status == 200
            replies.append(platform.read_reply(await resp.text())["Content"])
        # and a retry whose body was encrypted again (a fresh random prefix), same message
        _, body_again = platform.request(platform.text(OPENID, "2", msg_id=msg_id),
                                         timestamp=query["timestamp"], nonce=query["nonce"])
        assert body_again != body
        resp = await client.post("/wechat", params=query | {"msg_signature": _msg_signature(platform, body_again, query)},
                                 data=body_again)
        replies.append(platform.read_reply(await resp.text())["Content"])
        assert len(set(replies)) == 1 and "已切换为中文" in replies[0]
        assert spy.runs == 2


async def test_used_signatures_are_remembered_by_every_process(wechat_config, serve) -> None:
    # two servers over one database (nothing shared in memory): a pair used on one is refused on the other
    platform = wx.WeChatPlatform(aes_key=None)
    cfg = replace(wechat_config, wechat_aes_key=None)
    async with serve(cfg) as a, serve(cfg) as b:
        now = int(time.time())
        first = wx.WeChatUser(a, platform, VICTIM)
        assert "Main menu" in await first.deliver(platform.text(VICTIM, "/menu"), timestamp=str(now), nonce="31")
        forged = wx.WeChatUser(b, platform, VICTIM)
        assert (await forged.post(platform.text(VICTIM, "/unbind"), timestamp=str(now), nonce="31")).status == 403
        assert await count(runtime_of(a)) == 1


async def test_used_signatures_are_purged_by_the_retention_job(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        await wechat_user(client, OPENID).say("/menu")
        runtime = runtime_of(client)
        assert await count(runtime, SeenSignature) == 1
        done = await purge(runtime.db, retention_days=365, now=utcnow() + timedelta(minutes=30))
        assert done.signatures == 0 and await count(runtime, SeenSignature) == 1
        done = await purge(runtime.db, retention_days=365, now=utcnow() + timedelta(hours=2))
        assert done.signatures == 1 and await count(runtime, SeenSignature) == 0


# -- 3. events of one second -----------------------------------------------------------------------
async def test_two_different_events_in_one_second_are_both_processed(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        spy = DialogueSpy(runtime_of(client))
        user = wechat_user(client, OPENID)
        p, second = user.platform, int(time.time())
        await user.say("/lang en")
        assert "Main menu" in await user.deliver(p.event(OPENID, "CLICK", "MENU", create_time=second))
        assert await user.deliver(p.location_event(OPENID, create_time=second)) is None  # not the click's answer
        assert "Factory Helpdesk" in await user.deliver(p.event(OPENID, "CLICK", "HELP", create_time=second))
        assert spy.runs == 4
        # WeChat's retry of one of them repeats the whole event: still caught
        assert "Main menu" in await user.deliver(p.event(OPENID, "CLICK", "MENU", create_time=second))
        assert spy.runs == 4


async def test_subscribe_and_a_location_report_in_one_second_welcome_once(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        second = int(time.time())
        assert "Welcome" in await user.deliver(user.platform.event(OPENID, "subscribe", create_time=second))
        assert await user.deliver(user.platform.location_event(OPENID, create_time=second)) is None


# -- 4. silent events and the rate limit -----------------------------------------------------------
async def test_silent_events_do_not_use_up_the_rate_limit(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        p = user.platform
        await user.say("/lang en")
        for _ in range(25):  # location reporting on: one every 5 s for two minutes, in one minute here
            assert await user.deliver(p.location_event(OPENID)) is None
        assert await user.deliver(p.event(OPENID, "VIEW", "https://example.invalid/")) is None
        assert await user.deliver(p.template_finished(OPENID)) is None
        assert "Main menu" in await user.say("/menu")  # a real message in that minute is answered
        for _ in range(18):
            await user.say("/menu")
        assert "faster than I can answer" in await user.say("/menu")  # the 21st real message


# -- 5. CDATA ---------------------------------------------------------------------------------------
async def test_cdata_end_in_echoed_text_cannot_add_elements_to_the_reply(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        async with runtime_of(client).db.session() as s:
            await replace_register(s, parse_auditors(b"firm,name\nSGS,Zhang Wei\n").rows)
        user = wechat_user(client, OPENID)
        await user.say("/lang en")
        name = "Li]]><MsgType>news<MsgType><Articles>x<Articles><![CDATA[Wei"  # no "/" or "," (they split the name)
        resp = await user.post(user.platform.text(OPENID, f"/auditor {name}, SGS"))
        reply = user.platform.read_reply(await resp.text())
        assert reply["MsgType"] == "text" and name in reply["Content"] and "not on the register" in reply["Content"]
        assert set(reply) == {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"}


def test_passive_xml_splits_every_cdata_end() -> None:
    class Msg:
        source, target = "o]]>x", "gh_1"

    xml = wechat_receive.passive_xml(Msg(), "a]]>b]]]]>c\x00d", 1700000000)
    parsed = xmltodict.parse(xml)["xml"]
    assert parsed["Content"] == "a]]>b]]]]>cd" and parsed["ToUserName"] == "o]]>x"


# -- 6. what is stored -----------------------------------------------------------------------------
async def test_the_stored_text_is_what_the_dialogue_reads(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        await user.say("/lang en")
        assert "very long" in await user.say("fee " * 50_000)  # 200,000 characters
        runtime = runtime_of(client)
        async with runtime.db.session() as s:
            rows = (await s.execute(select(InboxMessage).order_by(InboxMessage.id))).scalars().all()
            stored = decode_incoming(runtime.services.secrets.decrypt_json(rows[-1].payload_enc))
        assert len(stored.text) == STORED_TEXT == 4001


# -- 7. subscriptions and binding QR codes ---------------------------------------------------------
@pytest.mark.parametrize("key", ["scanbarcode|EAN13|6901234567892", "scanimage|8dd96b6c2a4f46f1a1a3"])
async def test_a_follow_from_a_product_scan_is_greeted_and_recorded(wechat_config, serve, wechat_user, key) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        assert "Welcome" in await user.deliver(user.platform.product_scan_subscribe(OPENID, key))
        async with runtime_of(client).db.session() as s:
            (contact,) = (await s.execute(select(Contact))).scalars().all()
            assert contact.subscribed is True


async def test_a_binding_qr_code_binds_new_and_existing_followers(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        runtime = runtime_of(client)
        await import_rows(runtime.db, "F-1,Sunny Toys,certified,2026-01-15,,,,,")
        p = wx.WeChatPlatform()
        new_follower, follower = wx.WeChatUser(client, p, "oWx_NewFollower000000001"), wx.WeChatUser(client, p, OPENID)
        # a new follower scanning the QR code: subscribe with qrscene_CODE
        code = await new_code(runtime, "F-1")
        assert "Sunny Toys" in await new_follower.deliver(p.event(new_follower.openid, "subscribe", f"qrscene_{code}"))
        # an existing follower scanning one: SCAN with the code as its EventKey
        await follower.deliver(p.event(OPENID, "subscribe"))
        await follower.say("1")
        code = await new_code(runtime, "F-1")
        assert "Sunny Toys" in await follower.deliver(p.event(OPENID, "SCAN", code.replace("-", ""), inner="<Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==]]></Ticket>"))
        assert await count(runtime, Binding) == 2
        # a SCAN of some other QR code (not a binding code) stays silent
        assert await follower.deliver(p.event(OPENID, "SCAN", "123")) is None


# -- 8. a guessable token --------------------------------------------------------------------------
@pytest.mark.parametrize("token, weak", [
    ("abc123", True), ("mytoken", True), ("wechattokenwechattoken", True), ("12345678901234567890", True),
    ("aaaaaaaaaaaaaaaaaaaaaaaaA", True), ("etpTestWechatToken2026", False),
    ("3f9c2b7e41d08a6c5e2f9b1d7a4c3e80", False),
])
def test_guessable_tokens(token: str, weak: bool) -> None:
    assert (wechat_module.token_weakness(token) is not None) is weak


async def test_serve_warns_about_a_guessable_token_and_says_how_to_make_one(wechat_config, serve, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="integrations.wechat")
    async with serve(replace(wechat_config, wechat_token="token123")):
        pass
    (line,) = [r for r in caplog.records if r.name == "integrations.wechat" and r.levelno == logging.WARNING]
    assert "WECHAT_TOKEN" in line.getMessage() and "secrets.token_hex(16)" in line.getMessage()
    assert "token123" not in line.getMessage()
    caplog.clear()
    async with serve(wechat_config):
        pass
    assert not [r for r in caplog.records if r.name == "integrations.wechat" and r.levelno == logging.WARNING]


# -- helpers ---------------------------------------------------------------------------------------
def _msg_signature(platform: wx.WeChatPlatform, body: bytes, query: dict[str, str]) -> str:
    from wechatpy.crypto import _get_signature

    encrypt = xmltodict.parse(body)["xml"]["Encrypt"]
    return _get_signature(platform.token, query["timestamp"], query["nonce"], encrypt)
