"""WeChat's requests, `GET/POST /wechat`: checked, parsed, stored, answered.

One POST: check the signature and its age (5 minutes either way) → in safe mode, refuse a
plaintext request (unless WECHAT_COMPAT_MODE) → refuse hostile XML (defusedxml: no DTD, no
entities, before wechatpy/xmltodict sees the body) → decrypt (safe mode) → parse (wechatpy) →
store in the inbox, with the (timestamp, nonce) pair bound to the message → run the dialogue →
answer with a passive reply inside WeChat's 5-second deadline.

A (timestamp, nonce) pair is accepted once, across processes (`seen_signatures`): WeChat's own
retries repeat the first request's query string, pair included, with the same message, so a pair
seen again with the same sender and message key is a retry (answered from the inbox below); under
any other message it is a replay and refused with 403.

One passive reply carries as many of the dialogue's replies as fit in one text message; the rest
go through the outbox as customer-service messages. When the dialogue is not done in time the
bot answers "success" and the replies go through the outbox too. WeChat's retries (same MsgId,
or FromUserName + CreateTime + Event + EventKey for events) find the stored message, wait for
the first delivery's answer and get the same reply; the dialogue never runs twice.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import defusedxml
import defusedxml.ElementTree as SafeET
from aiohttp import web
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from wechatpy.events import EVENT_TYPES
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.utils import check_signature

from bot.core import messages as m
from bot.core import metrics
from bot.core.config import Config
from bot.core.crypto import Secrets
from bot.core.messages import Incoming, Reply, render_numbered
from bot.core.models import Contact, OutboxMessage, utcnow
from bot.core.models import messaging as st
from bot.core.models.messaging import InboxMessage
from bot.core.texts import t
from bot.services.bindings import normalise_code
from bot.services.outbox import enqueue
from integrations.channel import Channel
from integrations.inbox import Delivery, Once, Refused, Result
from integrations.text import pack_bytes
from integrations.wechat.crypto import AccountCrypto
from integrations.wechat.send import CHANNEL, TEXT_LIMIT

log = logging.getLogger(__name__)

ANSWER_BUDGET = 4.5  # seconds from arrival to our answer (WeChat gives up at 5)
PASSIVE_BUDGET = 3.8  # after this the dialogue's replies go to the outbox instead
OVERFLOW_DELAY = timedelta(seconds=1.5)  # let WeChat show the passive reply before the rest
# A stored message younger than this may be in the hands of the (live) process that stored it,
# whose passive reply is still possible: recovery, in a process that is starting or in any other,
# leaves it alone; older than this, WeChat has had its answer and the reply must go as a
# customer-service message whoever processes it.
IN_FLIGHT = timedelta(seconds=5)
# A signature whose timestamp is further than this from our clock, either way, is refused: WeChat
# signs each request as it sends it, and its retries come within seconds.
MAX_SIGNATURE_AGE = 300
# The events the dialogue answers; every other event (LOCATION reports, VIEW, unsubscribe,
# template and mass-send receipts …) is silent and does not count against the rate limit.
ANSWERED_EVENTS = frozenset({"subscribe", "click"})
# wechatpy's names for a subscription (a plain follow, through a QR code with a scene, from a
# product scan): all greeted and recorded as a subscribe
SUBSCRIBE_EVENTS = frozenset({"subscribe", "subscribe_scan", "subscribe_scan_product"})


class BadRequest(Exception):
    """Malformed or hostile input: 400."""


class Forbidden(Exception):
    """A signature that does not match, is stale or was used for another message; a plaintext
    request to a safe-mode account: 403."""


@dataclass(kw_only=True)
class WeChatChannel(Channel):
    name: str = CHANNEL
    crypto: AccountCrypto | None = None


WECHAT: web.AppKey[WeChatChannel] = web.AppKey("wechat")


# -- wire format ---------------------------------------------------------------------------------
def _signed(config: Config, query) -> bool:
    """The signature matches and its timestamp is within MAX_SIGNATURE_AGE of now."""
    try:
        check_signature(config.wechat_token, query.get("signature", ""), query.get("timestamp", ""),
                        query.get("nonce", ""))
    except InvalidSignatureException:
        return False
    return fresh(query.get("timestamp", ""), time.time())


def fresh(timestamp: str, now: float) -> bool:
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    return abs(now - int(timestamp)) <= MAX_SIGNATURE_AGE


def once(secrets: Secrets, query, source: str, key: str) -> Once:
    """The inbox guard that accepts this request's (timestamp, nonce) pair once: for this message
    (a WeChat retry repeats it), never for another (the inbox refuses it)."""
    pair = secrets.lookup_hash(f"wechat:signature:{query.get('timestamp', '')}:{query.get('nonce', '')}")
    return Once(pair, secrets.lookup_hash(f"wechat:message:{source}|{key}"))


def safe_xml(body: bytes) -> ET.Element:
    """Parse with every DTD and entity refused (XXE, billion laughs): nothing is resolved or
    expanded, the parser stops at the DOCTYPE. A UTF-8 body without a DOCTYPE (every message
    WeChat sends) has nothing to declare, resolve or expand (XML's five entities aside), and goes
    to the C parser as text (its own encoding declaration then ignored); any other to defusedxml's,
    which refuses the DOCTYPE (pure Python: 2.4 times the CPU of the C parser)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    try:
        if text is not None and "<!DOCTYPE" not in text:
            root = ET.fromstring(text)
        else:
            root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (defusedxml.DefusedXmlException, ET.ParseError, ValueError) as exc:
        raise BadRequest(f"rejected XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise BadRequest("not a WeChat message")
    return root


def unwrap(channel: WeChatChannel, body: bytes, query) -> tuple[ET.Element, bool]:
    """The message's plaintext XML, parsed, and whether the request came encrypted."""
    encrypted = query.get("encrypt_type") == "aes"
    if not encrypted and channel.crypto is not None and not channel.config.wechat_compat_mode:
        # safe mode: the plain signature covers no body; only WECHAT_COMPAT_MODE takes plaintext
        raise Forbidden("plaintext request in safe mode")
    root = safe_xml(body)
    if not encrypted:
        _text(body)
        return root, False
    if channel.crypto is None:
        raise BadRequest("encrypted message but WECHAT_AES_KEY is not set")
    encrypt = root.findtext("Encrypt")
    if not encrypt:
        raise BadRequest("no Encrypt element")
    try:
        plain = channel.crypto.decrypt_message({"Encrypt": encrypt}, query.get("msg_signature", ""),
                                               query.get("timestamp", ""), query.get("nonce", ""))
    except (InvalidSignatureException, InvalidAppIdException) as exc:
        raise Forbidden(type(exc).__name__) from exc
    except Exception as exc:
        raise BadRequest(f"cannot decrypt: {type(exc).__name__}") from exc
    plain_bytes = plain.encode("utf-8") if isinstance(plain, str) else plain
    _text(plain_bytes)
    return safe_xml(plain_bytes), True


def parse_message(root: ET.Element):
    """wechatpy's message or event of an XML already parsed (`safe_xml`): wechatpy's own
    `parse_message`, fed the dictionary xmltodict would have made, so the body is parsed once."""
    message = _as_dict(root)
    if not isinstance(message, dict) or not message.get("MsgType"):
        return None
    message_type = str(message["MsgType"]).lower()
    event_type = None
    if message_type == "event" or message_type.startswith("device_"):
        if "Event" in message:
            event_type = str(message["Event"]).lower()
        if event_type is None and message_type.startswith("device_"):
            event_type = message_type
        elif message_type.startswith("device_"):
            event_type = f"device_{event_type}"
        if event_type == "subscribe" and message.get("EventKey"):
            event_key = str(message["EventKey"])
            if event_key.startswith(("scanbarcode|", "scanimage|")):
                event_type = message["Event"] = "subscribe_scan_product"
            elif event_key.startswith("qrscene_"):
                event_type = message["Event"] = "subscribe_scan"
                message["EventKey"] = event_key[len("qrscene_"):]
        return EVENT_TYPES.get(event_type, UnknownMessage)(message)
    return MESSAGE_TYPES.get(message_type, UnknownMessage)(message)


def _as_dict(element: ET.Element):
    """An element as xmltodict gives it: text stripped (None when empty), children by tag (a list
    when a tag repeats), attributes as "@name", text beside children as "#text"."""
    text = "".join([element.text or "", *[child.tail or "" for child in element]]).strip()
    if not len(element) and not element.attrib:
        return text or None
    out: dict = {f"@{k}": v for k, v in element.attrib.items()}
    for child in element:
        value = _as_dict(child)
        if child.tag in out:
            before = out[child.tag]
            out[child.tag] = [*before, value] if isinstance(before, list) else [before, value]
        else:
            out[child.tag] = value
    if text:
        out["#text"] = text
    return out


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("not UTF-8") from exc


def to_incoming(msg) -> Incoming:
    """The channel-neutral message; its message_id, the inbox key, is FromUserName + MsgId, for
    events FromUserName + CreateTime + Event + EventKey (which a retry repeats and two events of
    one second do not share)."""
    source = msg.source
    if not source or not isinstance(source, str):
        raise BadRequest("no FromUserName")
    received = datetime.now(UTC)
    kind, text, event, extra = m.OTHER, "", None, {}
    raw_event = raw_key = ""
    if msg.type == "text":
        kind, text = m.TEXT, msg.content or ""
    elif msg.type == "voice":
        kind, text = m.VOICE, msg.recognition or ""
    elif msg.type in ("image", "location", "link"):
        kind = {"image": m.IMAGE, "location": m.LOCATION, "link": m.LINK}[msg.type]
        if msg.type == "image" and msg.media_id:
            extra = {"media_id": str(msg.media_id)}  # evidence, fetched while WeChat keeps it (3 days)
    elif str(msg._data.get("MsgType", "")).lower() == "event":
        raw_event, raw_key = str(msg._data.get("Event") or ""), str(msg._data.get("EventKey") or "")
        kind, event, event_key = m.EVENT, raw_event.lower(), raw_key
        if event in SUBSCRIBE_EVENTS:
            # wechatpy renames a subscription through a QR code (the scene, "qrscene_" taken off,
            # is the EventKey) or from a product scan ("scanbarcode|…", "scanimage|…": no scene)
            if event == "subscribe_scan_product":
                event_key = ""
            event = "subscribe"
        elif event == "scan" and normalise_code(event_key):
            # a follower scanning a binding QR code: bound as a new follower is through its scene
            event = "subscribe"
        extra = {"event_key": event_key}
    elif str(msg._data.get("MsgType", "")).lower().startswith("device_"):
        # a hardware account's device messages come from no person: silent, like an unknown event
        raw_event = str(msg._data.get("MsgType"))
        kind, event = m.EVENT, raw_event.lower()
    msg_id = 0 if kind == m.EVENT else int(msg.id or 0)  # an event's MsgID names a template or mass send
    # the sender is part of the key: a MsgId is WeChat's, unique per account, but a message must
    # never be answered from another user's stored reply
    key = f"{source}|{msg_id}" if msg_id else f"{source}|{msg.time}|{raw_event}|{raw_key}"
    return Incoming(CHANNEL, source, key, kind=kind, text=str(text), received_at=received, event=event,
                    extra=extra, media_later=True)


def answered(incoming: Incoming) -> bool:
    """Whether the dialogue answers this message: silent events do not count against the rate limit."""
    return incoming.kind != m.EVENT or incoming.event in ANSWERED_EVENTS


# XML 1.0 has no place for most control characters, even inside CDATA
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def cdata(value: str) -> str:
    """`value` as CDATA that nothing in it can end early: each "]]>" is split across two sections."""
    return "<![CDATA[" + _NOT_XML.sub("", value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_xml(msg, text: str, now: float) -> str:
    """A passive text reply to `msg` (the user's OpenID is its ToUserName)."""
    return (f"<xml><ToUserName>{cdata(str(msg.source))}</ToUserName><FromUserName>{cdata(str(msg.target or ''))}"
            f"</FromUserName><CreateTime>{int(now)}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(text)}</Content></xml>")


def render(channel: WeChatChannel, msg, text: str | None, query, encrypted: bool) -> web.Response:
    if not text:
        return web.Response(text="success")
    xml = passive_xml(msg, text, time.time())
    if encrypted:
        xml = channel.crypto.encrypt_message(xml, query.get("nonce", ""), query.get("timestamp") or str(int(time.time())))
    return web.Response(text=xml, content_type="application/xml")


# -- handlers ------------------------------------------------------------------------------------
async def verify(request: web.Request) -> web.Response:
    """URL verification when the server address is saved in the WeChat console."""
    channel = request.app[WECHAT]
    if not _signed(channel.config, request.query):
        return web.Response(status=403, text="bad signature")
    return web.Response(text=request.query.get("echostr", ""))


async def receive(request: web.Request) -> web.Response:
    loop = asyncio.get_running_loop()
    started = loop.time()
    channel = request.app[WECHAT]
    if not _signed(channel.config, request.query):
        return web.Response(status=403, text="bad signature")
    if request.content_length is not None and request.content_length > channel.config.max_body_bytes:
        return web.Response(status=413, text="body too large")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=413, text="body too large")
    try:
        root, encrypted = unwrap(channel, body, request.query)
        msg = parse_message(root)
        if msg is None:
            raise BadRequest("empty")
        incoming = to_incoming(msg)
    except Forbidden:
        return web.Response(status=403, text="bad signature")
    except BadRequest as exc:
        log.info("wechat request rejected", extra={"reason": str(exc)})
        return web.Response(status=400, text="malformed message")
    except Exception as exc:
        log.info("wechat request rejected", extra={"reason": type(exc).__name__})
        return web.Response(status=400, text="malformed message")

    try:
        inbox_id, _new = await channel.inbox.store(
            incoming.message_id, incoming,
            guard=once(channel.inbox.secrets, request.query, incoming.contact, incoming.message_id))
    except Refused as exc:
        log.info("wechat request refused", extra={"reason": str(exc)})
        return web.Response(status=403, text="bad signature")
    task = channel.tasks.spawn(channel.inbox.process(inbox_id, passive_until=started + PASSIVE_BUDGET))
    done, _ = await asyncio.wait({task}, timeout=max(0.0, started + ANSWER_BUDGET - loop.time()))
    if not done:
        # too slow for a passive reply: "success" now, the replies through the outbox
        task.add_done_callback(lambda t: channel.tasks.spawn(_late(channel, t)))
        text = None
    else:
        text = passive_text(task.result())
    metrics.ANSWER_SECONDS.labels(CHANNEL).observe(loop.time() - started)
    if text:
        metrics.MESSAGES_OUT.labels(CHANNEL, "passive").inc()
    return render(channel, msg, text, request.query, encrypted)


def passive_text(result: Result) -> str | None:
    if result.failed:
        return t("processing_error", "zh") + "\n" + t("processing_error", "en")
    if result.via == st.PASSIVE and result.cached:
        return result.cached.get("text")
    return None  # replies went to the outbox, or there was nothing to say


async def _late(channel: WeChatChannel, task: asyncio.Task) -> None:
    """The first answer was "success" but the dialogue still chose a passive reply (its commit
    came after the answer budget): queue that reply in the outbox instead. Where this can double:
    a WeChat retry that was already on its way when "success" went out, and read the cached
    passive reply before this update, also shows it (WeChat does not retry after "success")."""
    if task.cancelled() or task.exception() is not None:
        return
    result: Result = task.result()
    text = passive_text(result) if result.ran else None
    if not text or result.failed:
        return
    runtime = channel.inbox.runtime
    async with runtime.db.session() as s:
        moved = await s.execute(update(InboxMessage).where(
            InboxMessage.id == result.inbox_id, InboxMessage.reply_via == st.PASSIVE).values(reply_via=st.OUTBOX))
        if moved.rowcount:
            await enqueue(s, runtime.services.secrets, channel=CHANNEL, replies=[Reply(text)], kind="reply",
                          contact_id=result.cached["contact_id"], dedupe_key=f"inbox:{result.inbox_id}:0")
    channel.inbox.notify()


def make_respond(secrets):
    async def respond(s: AsyncSession, contact: Contact, replies: list[Reply], inbox_id: int,
                      passive: bool, _incoming: Incoming) -> Delivery:
        messages = pack_bytes([render_numbered(r) for r in replies], TEXT_LIMIT)
        first, rest = (messages[0] if messages else None, messages[1:]) if passive else (None, messages)
        for n, text in enumerate(rest, start=1):
            row_id = await enqueue(s, secrets, channel=CHANNEL, replies=[Reply(text)], kind="reply",
                                   contact_id=contact.id, dedupe_key=f"inbox:{inbox_id}:{n}")
            if passive and row_id is not None:
                await s.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                                .values(next_attempt_at=utcnow() + OVERFLOW_DELAY))
        via = st.PASSIVE if passive else st.OUTBOX
        return Delivery(via, {"text": first, "contact_id": contact.id}, queued=len(rest))

    return respond
