"""WeChat end to end: requests signed and encrypted with wechatpy's own crypto exactly as
WeChat sends them, replies decrypted and checked; retries; events; every bad input."""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.core.messages import Reply
from bot.core.models import Contact
from integrations.wechat import receive as wechat_module
from tests.fakes import wechat as wx
from tests.fakes.fixtures import with_wechat

from .conftest import DialogueSpy, count, runtime_of

OPENID = "oWx_User_0000000000000001"


async def test_url_verification_echoes_only_with_a_valid_signature(wechat_config, serve) -> None:
    platform = wx.WeChatPlatform()
    async with serve(wechat_config) as client:
        now = str(int(time.time()))
        query = {"signature": platform.signature(now, "42"), "timestamp": now, "nonce": "42", "echostr": "echo-7781"}
        resp = await client.get("/wechat", params=query)
        assert resp.status == 200 and await resp.text() == "echo-7781"
        resp = await client.get("/wechat", params={**query, "signature": "0" * 40})
        assert resp.status == 403


async def test_safe_mode_conversation_with_encrypted_passive_replies(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        welcome = await user.deliver(user.platform.event(OPENID, "subscribe"))
        # welcome and the language choice fit in one passive reply, choices as numbered lines
        assert "Welcome" in welcome and "1. English" in welcome and "2. 中文" in welcome
        menu = await user.say("2")
        assert "已切换为中文" in menu and "2. 我的认证状态" in menu
        clicked = await user.deliver(user.platform.event(OPENID, "CLICK", "HELP"))
        assert "工厂服务台" in clicked
        metrics = await (await client.get("/metrics")).text()
        assert 'etp_messages_in_total{channel="wechat",kind="event"}' in metrics
        assert 'etp_messages_out_total{channel="wechat",via="passive"}' in metrics
        assert 'etp_answer_seconds_count{channel="wechat"}' in metrics


async def test_plaintext_mode(config, fake_wechat, serve, wechat_user) -> None:
    async with serve(with_wechat(config, fake_wechat, safe_mode=False)) as client:
        user = wechat_user(client, OPENID, safe_mode=False)
        resp = await user.post(user.platform.text(OPENID, "/menu"))
        body = await resp.text()
        assert resp.status == 200 and "<Encrypt>" not in body and "Main menu" in body
        assert "Main menu" in (await user.say("menu"))


async def test_safe_mode_account_takes_plaintext_requests_only_in_compatible_mode(
        wechat_config, serve, wechat_user) -> None:
    # WeChat's "compatible mode" (兼容模式) may send requests unencrypted, signed all the same; the
    # plain signature covers no body, so safe mode takes them only when WECHAT_COMPAT_MODE says so
    async with serve(wechat_config) as client:
        assert (await wechat_user(client, OPENID, safe_mode=False).post(wx.WeChatPlatform(aes_key=None).text(
            OPENID, "/menu"))).status == 403
    async with serve(replace(wechat_config, wechat_compat_mode=True)) as client:
        assert "Main menu" in await wechat_user(client, OPENID, safe_mode=False).say("/menu")


async def test_a_retry_gets_the_same_reply_and_the_dialogue_runs_once(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        spy = DialogueSpy(runtime_of(client))
        user = wechat_user(client, OPENID)
        await user.say("/start")
        xml = user.platform.text(OPENID, "2")  # choose 中文: a second run would answer differently
        replies = [await user.deliver(xml) for _ in range(3)]  # WeChat retries with the same MsgId
        assert replies[0] == replies[1] == replies[2] and "已切换为中文" in replies[0]
        assert spy.runs == 2
        assert await count(runtime_of(client)) == 2


async def test_event_retries_are_keyed_by_sender_time_and_event(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        spy = DialogueSpy(runtime_of(client))
        user = wechat_user(client, OPENID)
        event = user.platform.event(OPENID, "CLICK", "MENU", create_time=1700000123)
        assert await user.deliver(event) == await user.deliver(event)
        later = user.platform.event(OPENID, "CLICK", "MENU", create_time=1700000124)
        await user.deliver(later)
        assert spy.runs == 2


async def test_a_retry_during_a_slow_first_delivery_waits_for_its_reply(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        spy = DialogueSpy(runtime_of(client), delay=0.8)
        user = wechat_user(client, OPENID)
        xml = user.platform.text(OPENID, "/help")
        first = asyncio.create_task(user.deliver(xml))
        await asyncio.sleep(0.2)
        retry = await user.deliver(xml)
        assert retry == await first and "Factory Helpdesk" in retry
        assert spy.runs == 1


async def test_too_slow_for_the_deadline_answers_success_then_customer_service(
        wechat_config, serve, wechat_user, fake_wechat, monkeypatch) -> None:
    monkeypatch.setattr(wechat_module, "ANSWER_BUDGET", 0.3)
    monkeypatch.setattr(wechat_module, "PASSIVE_BUDGET", 0.2)
    async with serve(wechat_config) as client:
        DialogueSpy(runtime_of(client), delay=0.6)
        user = wechat_user(client, OPENID)
        xml = user.platform.text(OPENID, "/help")
        assert await user.deliver(xml) is None  # "success": no passive reply
        (text,) = [t for t in await _cs_texts(fake_wechat, 1)]
        assert "Factory Helpdesk" in text
        assert await user.deliver(xml) is None  # a retry now: still nothing twice
        await asyncio.sleep(0.3)
        assert len(fake_wechat.sent_texts()) == 1


async def test_replies_beyond_one_passive_reply_go_through_customer_service(
        wechat_config, serve, wechat_user, fake_wechat) -> None:
    async with serve(wechat_config) as client:
        spy = DialogueSpy(runtime_of(client))
        spy.replace_with = [Reply("A" * 1500), Reply("B" * 1500), Reply("C" * 400)]
        user = wechat_user(client, OPENID)
        passive = await user.say("hello")
        assert passive == "A" * 1500
        texts = await _cs_texts(fake_wechat, 1)
        assert texts == ["B" * 1500 + "\n\n" + "C" * 400]
        assert fake_wechat.token_requests == 1


async def test_events_and_media_get_sensible_replies(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        p = user.platform
        await user.say("/lang en")
        assert "only read text" in await user.deliver(p.image(OPENID))
        assert "location" in await user.deliver(p.location(OPENID))
        assert "link" in await user.deliver(p.link(OPENID))
        assert "Main menu" in await user.deliver(p.voice(OPENID, "menu"))  # speech recognition text
        assert "voice" in await user.deliver(p.voice(OPENID, None))
        assert "Main menu" in await user.deliver(p.event(OPENID, "CLICK", "MENU"))
        assert await user.deliver(p.event(OPENID, "VIEW", "https://example.invalid/")) is None
        assert await user.deliver(p.event(OPENID, "unsubscribe")) is None
        async with runtime_of(client).db.session() as s:
            (contact,) = (await s.execute(select(Contact))).scalars().all()
            assert contact.subscribed is False
        assert "Welcome" in await user.deliver(p.event(OPENID, "subscribe"))


async def test_empty_and_very_long_texts(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        await user.say("/lang en")
        assert "Please type a question" in await user.say("")
        long = await user.say("fee " * 2500)  # 10,000 characters
        assert "very long" in long
        assert len(long.encode("utf-8")) <= 2048


# -- bad input ------------------------------------------------------------------------------------
async def _post_raw(client, platform: wx.WeChatPlatform, body: bytes, **query_overrides):
    timestamp, nonce = str(int(time.time())), "9911"
    query = {"signature": platform.signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
             **query_overrides}
    return await client.post("/wechat", params=query, data=body)


async def test_bad_signatures_are_403(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        query, body = user.platform.request(user.platform.text(OPENID, "hi"))
        resp = await client.post("/wechat", params={**query, "signature": "f" * 40}, data=body)
        assert resp.status == 403
        resp = await client.post("/wechat", params={**query, "msg_signature": "f" * 40}, data=body)
        assert resp.status == 403
        resp = await client.post("/wechat", data=body)
        assert resp.status == 403
        assert await count(runtime_of(client)) == 0


XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file://{path}">]>
<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>77</MsgId></xml>"""

LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
          + ']><xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>'
          '<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>78</MsgId></xml>')


async def test_hostile_xml_is_400_without_resolving_anything(config, fake_wechat, serve, tmp_path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOP-SECRET-MARKER-5521")
    plain = wx.WeChatPlatform(aes_key=None)
    async with serve(with_wechat(config, fake_wechat, safe_mode=False)) as client:
        resp = await _post_raw(client, plain, XXE.format(path=secret_file).encode())
        assert resp.status == 400 and "TOP-SECRET" not in await resp.text()
        started = time.monotonic()
        resp = await _post_raw(client, plain, LAUGHS.encode())
        assert resp.status == 400
        assert time.monotonic() - started < 2  # refused at the DOCTYPE, never expanded
        assert await count(runtime_of(client)) == 0



@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_hostile_xml_in_another_encoding_is_refused_too(tmp_path, encoding) -> None:
    """The C parser takes only UTF-8 text without a DOCTYPE: a DOCTYPE that a byte search would
    miss (another encoding) still meets defusedxml's refusal, and nothing is resolved."""
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOP-SECRET-MARKER-5521")
    body = XXE.format(path=secret_file).replace('version="1.0"', f'version="1.0" encoding="{encoding}"')
    for doc in (body.encode(encoding), LAUGHS.replace('version="1.0"', f'version="1.0" encoding="{encoding}"')
                .encode(encoding)):
        with pytest.raises(wechat_module.BadRequest):
            wechat_module.safe_xml(doc)


def test_an_entity_without_a_doctype_is_refused_and_a_foreign_declaration_is_read_as_utf8() -> None:
    with pytest.raises(wechat_module.BadRequest):
        wechat_module.safe_xml(b"<xml><Content>&xxe;</Content></xml>")  # undeclared: not well-formed
    root = wechat_module.safe_xml('<?xml version="1.0" encoding="GBK"?><xml><Content>审核 &amp; 费用</Content></xml>'
                                  .encode())
    assert root.findtext("Content") == "审核 & 费用"


async def test_hostile_xml_inside_the_encrypted_body_is_400(wechat_config, serve, tmp_path) -> None:
    platform = wx.WeChatPlatform()
    async with serve(wechat_config) as client:
        query, body = platform.request(XXE.format(path=tmp_path / "x"))
        resp = await client.post("/wechat", params=query, data=body)
        assert resp.status == 400


async def test_oversized_body_is_413(wechat_config, serve, wechat_user) -> None:
    async with serve(replace(wechat_config, max_body_bytes=4096)) as client:
        user = wechat_user(client, OPENID)
        resp = await user.post(user.platform.text(OPENID, "x" * 5000))
        assert resp.status == 413


@pytest.mark.parametrize("body", [
    b"", b"not xml at all", b"<xml><unclosed></xml>", b"<html><body/></html>", b"\xff\xfe<xml/>",
    b"<xml><MsgType>text</MsgType></xml>",  # no sender
    b"<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>x1</MsgId></xml>",
    b"<xml><FromUserName>o1</FromUserName><CreateTime>soon</CreateTime><MsgType>event</MsgType></xml>",
])
async def test_malformed_bodies_are_400(config, fake_wechat, serve, body: bytes) -> None:
    async with serve(with_wechat(config, fake_wechat, safe_mode=False)) as client:
        resp = await _post_raw(client, wx.WeChatPlatform(aes_key=None), body)
        assert resp.status == 400


async def test_encrypted_requests_that_do_not_decrypt_are_400(wechat_config, serve) -> None:
    platform = wx.WeChatPlatform()
    async with serve(wechat_config) as client:
        timestamp, nonce, encrypt = str(int(time.time())), "5", "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
        from wechatpy.crypto import _get_signature

        query = {"signature": platform.signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                 "encrypt_type": "aes", "msg_signature": _get_signature(wx.TOKEN, timestamp, nonce, encrypt)}
        resp = await client.post("/wechat", params=query, data=f"<xml><Encrypt>{encrypt}</Encrypt></xml>".encode())
        assert resp.status == 400
        resp = await client.post("/wechat", params=query, data=b"<xml><ToUserName>gh</ToUserName></xml>")
        assert resp.status == 400


async def test_random_bodies_never_produce_a_server_error(config, fake_wechat, serve) -> None:
    rng = random.Random(7)
    plain = wx.WeChatPlatform(aes_key=None)
    good = plain.text(OPENID, "hi")
    async with serve(with_wechat(config, fake_wechat, safe_mode=False)) as client:
        for _ in range(60):
            body = bytearray(good.encode())
            for _ in range(rng.randint(1, 8)):
                body[rng.randrange(len(body))] = rng.randrange(256)
            resp = await _post_raw(client, plain, bytes(body))
            assert resp.status < 500


async def _cs_texts(fake: wx.FakeWeChatAPI, n: int) -> list[str]:
    await fake.wait_for(wx.CS_SEND, n)
    return fake.sent_texts()
