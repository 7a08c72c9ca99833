"""The platforms' real shapes replayed through `serve`, each asserted: never a 5xx, and a valid
reply where a person expects one, none where nobody does.

- WeChat: every XML message and event of wechatpy's own test suite
  (`tests/fakes/corpus/wechatpy_messages.json`), in plaintext and in safe mode (wechatpy's
  `WeChatCrypto` encrypts each request and checks and decrypts each reply). A valid passive reply
  is well-formed XML with exactly the five elements of a text reply, addressed back to the sender
  from the account the message was sent to, with text in it.
- Telegram: Telegram's published sample updates, python-telegram-bot's test messages (service
  messages and what the bot cannot read) and one of every other update type of the Bot API
  (`tests/fakes/telegram.py`), each in a private chat and in a group. A valid reply is a
  `sendMessage` to the chat the update came from, with text of at most 4,096 characters and
  buttons whose data fit Telegram's 64 bytes.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
import xmltodict

from tests.fakes import telegram as tg
from tests.fakes import wechat as wx
from tests.fakes.fixtures import TELEGRAM_SECRET, with_wechat

from .conftest import count, no_errors, runtime_of, settled

CORPUS = json.loads((Path(__file__).parents[1] / "fakes" / "corpus" / "wechatpy_messages.json").read_text("utf-8"))
WECHAT_SAMPLES: dict[str, str] = CORPUS["samples"]

# What a person sends to an Official Account, and expects an answer to (MsgType); anything of a
# type WeChat may add later is answered too ("I can only read text"), as wechatpy's `notsure`
# sample is. Device messages (hardware accounts) come from no person.
PERSON_MESSAGES = {"text", "image", "voice", "video", "shortvideo", "location", "link", "notsure"}
# The events a person expects an answer to: following (plainly, through a QR code with a scene,
# from a product scan) gets the welcome, a menu click its command's answer. Everything else
# (unfollow, location reports, menu links, a follower's scan of a QR code without a binding code,
# receipts of mass and template sends, card, invoice, Wi-Fi, verification, customer-service
# session and subscription-message notices, menu buttons this account's menu does not have)
# gets no reply.
ANSWERED_EVENTS = {"subscribe", "click"}


def expects_reply(xml: str) -> bool:
    message = xmltodict.parse(xml)["xml"]
    if message["MsgType"] != "event":
        return message["MsgType"] in PERSON_MESSAGES
    return message["Event"].lower() in ANSWERED_EVENTS


def as_sender(xml: str, openid: str) -> str:
    """The sample unchanged but for its sender (one of its own, so no sample sees another's state)."""
    return re.sub(r"<FromUserName>.*?</FromUserName>", f"<FromUserName><![CDATA[{openid}]]></FromUserName>", xml,
                  count=1, flags=re.S)


def passive_reply_problems(platform: wx.WeChatPlatform, body: str, sample: str, openid: str) -> list[str]:
    """What is wrong with a passive reply (empty: valid). Safe mode: the signature is checked."""
    reply = platform.read_reply(body)  # decrypts (and verifies) in safe mode
    plain = body if platform.crypto is None else platform.crypto.decrypt_message(
        body, *(xmltodict.parse(body)["xml"][k] for k in ("MsgSignature", "TimeStamp", "Nonce")))
    root = SafeET.fromstring(plain)
    problems = []
    if [child.tag for child in root] != ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"]:
        problems.append(f"elements {[child.tag for child in root]}")
    if reply["ToUserName"] != openid:
        problems.append("not addressed to the sender")
    if reply["FromUserName"] != xmltodict.parse(sample)["xml"]["ToUserName"]:
        problems.append("not from the account written to")
    if reply["MsgType"] != "text" or not (reply.get("Content") or "").strip():
        problems.append("no text")
    if not reply["CreateTime"].isdigit():
        problems.append("CreateTime")
    return problems


@pytest.mark.parametrize("safe_mode", [False, True], ids=["plaintext", "safe-mode"])
async def test_wechatpys_samples(config, serve, fake_wechat, wechat_user, safe_mode, caplog) -> None:
    assert len(WECHAT_SAMPLES) == 51
    failures = []
    async with serve(with_wechat(config, fake_wechat, safe_mode=safe_mode)) as client:
        for n, (name, sample) in enumerate(WECHAT_SAMPLES.items()):
            openid = f"oCorpus{'S' if safe_mode else 'P'}{n:018d}"
            user = wechat_user(client, openid, safe_mode=safe_mode)
            xml = as_sender(sample, openid)
            response = await user.post(xml)
            body = await response.text()
            if response.status != 200:
                failures.append(f"{name}: HTTP {response.status}")
                continue
            replied = body not in ("", "success")
            if replied != expects_reply(sample):
                failures.append(f"{name}: {'a reply' if replied else 'no reply'}")
            elif replied:
                failures += [f"{name}: {p}" for p in passive_reply_problems(user.platform, body, sample, openid)]
        no_errors(caplog)
    assert failures == []


async def test_wechatpys_samples_are_each_stored_once(config, serve, fake_wechat, wechat_user) -> None:
    """The samples share one MsgId (wechatpy's tests never needed another): from different users
    they are different messages, each answered for itself, never with another user's reply."""
    texts = [name for name, xml in WECHAT_SAMPLES.items() if "<MsgType><![CDATA[text]]>" in xml]
    async with serve(with_wechat(config, fake_wechat, safe_mode=True)) as client:
        first = wechat_user(client, "oCorpusFirst0000000000001")
        second = wechat_user(client, "oCorpusSecond000000000002")
        sample = WECHAT_SAMPLES[texts[0]]
        for user in (first, second):
            response = await user.post(as_sender(sample, user.openid))
            assert user.platform.read_reply(await response.text())["ToUserName"] == user.openid
        assert await count(runtime_of(client)) == 2  # the second was not taken for a retry of the first


# -- Telegram ------------------------------------------------------------------------------------
GROUP = -1001234567
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}


def telegram_corpus() -> list[tuple[str, dict, bool]]:
    """(name, update, whether a reply is expected) for every shape, in a private chat and a group."""
    corpus = [(f"sample:{name}", sample, tg.WEBHOOK_SAMPLE_REPLIES[name])
              for name, sample in tg.WEBHOOK_SAMPLES.items()]
    for name in tg.SERVICE_MESSAGES:
        corpus.append((f"service:{name}:group", tg.service_update(name, chat_id=GROUP), False))
        corpus.append((f"service:{name}:basic-group", tg.service_update(name, chat_id=-54321, chat_type="group"),
                       False))
    for name, shape in tg.UNREADABLE_MESSAGES.items():
        corpus.append((f"unreadable:{name}:private", tg.message_update(shape), True))  # "I can only read text"
        corpus.append((f"unreadable:{name}:group", tg.message_update(shape, chat_id=GROUP, chat_type="supergroup"),
                       False))  # not addressed to the bot
    corpus += [(f"other:{kind}", tg.other_update(kind), False) for kind in tg.OTHER_UPDATES]
    return corpus


def chat_of(update: dict) -> int | None:
    for kind in ("message", "callback_query"):
        body = update.get(kind)
        if body:
            return (body.get("chat") or (body.get("message") or {}).get("chat") or {}).get("id")
    return None


def sent_message_problems(message: dict, chat_id: int | None) -> list[str]:
    problems = []
    if chat_id is None or str(message.get("chat_id")) != str(chat_id):
        problems.append("sent to another chat")
    text = message.get("text") or ""
    if not text.strip() or len(text) > 4096:
        problems.append(f"text of {len(text)} characters")
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if len(button.get("callback_data", "").encode("utf-8")) > 64:
                problems.append("callback_data over 64 bytes")
    return problems


async def test_telegrams_shapes(telegram_config, serve, fake_telegram, caplog) -> None:
    corpus = telegram_corpus()
    assert len(corpus) > 100
    failures = []
    async with serve(telegram_config) as client:
        for n, (name, update, expected) in enumerate(corpus):
            update = {**update, "update_id": 900000 + n}
            before = len(fake_telegram.calls_to("sendMessage"))
            response = await client.post("/telegram", json=update, headers=HEADERS)
            if response.status != 200:
                failures.append(f"{name}: HTTP {response.status}")
                continue
            await settled(client)
            sent = fake_telegram.calls_to("sendMessage")[before:]
            if bool(sent) != expected:
                failures.append(f"{name}: {len(sent)} messages sent")
            failures += [f"{name}: {p}" for message in sent for p in sent_message_problems(message, chat_of(update))]
        no_errors(caplog)
    assert failures == []
