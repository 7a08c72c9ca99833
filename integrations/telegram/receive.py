"""Telegram's updates, `POST /telegram` (webhook) or from long polling: checked, parsed, stored, answered.

An update is stored in the inbox (unique `update_id`) before Telegram gets its 200, then run
through the dialogue once; a redelivered update is ignored. Replies are queued in the outbox in
the same transaction that runs the dialogue (see `respond`).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError

from bot.core import messages as m
from bot.core import metrics
from bot.core.crypto import Secrets
from bot.core.messages import Incoming, Reply
from bot.core.models import Contact
from bot.core.models.messaging import OUTBOX
from bot.services.contacts import find_contact, move_contact, set_place
from bot.services.outbox import enqueue
from integrations.inbox import Delivery
from integrations.telegram.api import TELEGRAM, TelegramChannel
from integrations.telegram.send import CHANNEL

log = logging.getLogger(__name__)


class MalformedUpdate(Exception):
    """Not a Telegram update: 400."""


# -- updates -------------------------------------------------------------------------------------
# What a person sends. A message with none of these is a service message (a member joining or
# leaving, a pin, a new title or photo, the group created or migrated, a topic opened, a video
# chat, a boost …), which Telegram delivers to bots whatever their privacy setting: no reply.
CONTENT = ("text", "photo", "document", "voice", "audio", "video", "video_note", "animation", "sticker",
           "location", "venue", "contact", "dice", "poll", "checklist", "story", "paid_media", "live_photo")
# `/command@bot_username` at the start of a text or caption (usernames: 5-32 of A-Z a-z 0-9 _)
ADDRESSED = re.compile(r"^/\w+@(\w+)")


def addressed_elsewhere(text: str, username: str | None, private: bool) -> bool:
    """`/help@other_bot`: another bot's command. While our own username is not known yet (getMe
    has not succeeded), a command addressed to any bot is left alone in a group; in a private
    chat it can only be meant for us."""
    found = ADDRESSED.match(text)
    if found is None:
        return False
    if username is None:
        return not private
    return found.group(1).lower() != username.lower()


def thread_of(msg) -> int | None:
    """The forum topic a message is in (None: General, or not a forum). A reply thread in an
    ordinary group also has a `message_thread_id`, which sendMessage does not accept there."""
    thread = getattr(msg, "message_thread_id", None)
    return thread if getattr(msg, "is_topic_message", False) and isinstance(thread, int) else None


def _content(msg) -> tuple[str, str, dict[str, Any]] | None:
    """(kind, text, extra) of what a person sent, or None for a service message."""
    sent = next((name for name in CONTENT if getattr(msg, name, None)), None)
    if sent is None:
        return None
    caption = msg.caption if isinstance(msg.caption, str) else ""
    if sent == "text":
        return m.TEXT, msg.text, {}
    if sent == "photo":  # sizes, smallest first
        return m.IMAGE, caption, {"file_id": msg.photo[-1].file_id}
    if sent == "document" and ((msg.document.mime_type or "").startswith("image/")  # a photo sent uncompressed
                               or msg.document.mime_type == "application/pdf"):  # kept as evidence like a photo
        return m.IMAGE, caption, {"file_id": msg.document.file_id}
    if sent == "voice":
        return m.VOICE, caption, {}
    if sent in ("location", "venue"):
        return m.LOCATION, "", {}
    return m.OTHER, caption, {}


def message_incoming(update: Update, username: str | None = None) -> Incoming | None:
    """A person's message as a channel-neutral message; None for what gets no reply."""
    msg = update.message
    if msg is None or msg.chat is None:
        return None
    content = _content(msg)
    if content is None:
        return None
    kind, text, extra = content
    private = msg.chat.type == "private"
    if addressed_elsewhere(text, username, private):
        return None
    if not private and not text:
        return None  # a sticker, photo or location in a group is not addressed to the bot
    if msg.media_group_id:
        extra["album"] = str(msg.media_group_id)
    if (thread := thread_of(msg)) is not None:
        extra["thread"] = thread
    return Incoming(CHANNEL, str(msg.chat.id), str(update.update_id), kind=kind, text=text,
                    private=private, extra=extra, media_later=True)


def to_incoming(update: Update, username: str | None = None) -> Incoming | None:
    """The update as a channel-neutral message (its message_id, the update_id, is the inbox
    key), or None for updates the dialogue does not take."""
    if update.callback_query is not None:
        return callback_incoming(update)
    return message_incoming(update, username)


def callback_incoming(update: Update) -> Incoming | None:
    """A press on one of our buttons: its data is the choice id or digest (`send.callback_data`),
    which the dialogue resolves among the choices it offered. Without its message the button was
    on an inline-mode message (this bot sends none); data that is not a string is not ours either."""
    cq = update.callback_query
    chat = getattr(cq.message, "chat", None)
    if chat is None or not isinstance(cq.data, str):
        return None
    thread = thread_of(cq.message)
    return Incoming(CHANNEL, str(chat.id), str(update.update_id), kind=m.CHOICE, text=cq.data,
                    private=chat.type == "private", extra={} if thread is None else {"thread": thread},
                    media_later=True)


async def handle_update(channel: TelegramChannel, data: dict) -> None:
    """Store, then process one update (webhook and polling alike)."""
    try:
        update = Update.de_json(data, channel.bot)
    except Exception as exc:
        raise MalformedUpdate(type(exc).__name__) from exc
    if update is None:
        raise MalformedUpdate("empty")
    if update.my_chat_member is not None:
        await _membership(channel, update)
        return
    if update.message is not None:
        await _migration(channel, update.message)
    incoming = to_incoming(update, channel.username)
    if incoming is None:
        return  # service messages, edited messages, reactions, channel posts…: acknowledged, nothing to say
    inbox_id, _new = await channel.inbox.store(incoming.message_id, incoming)
    result = await channel.inbox.process(inbox_id)
    if update.callback_query is not None and result.ran:
        try:  # stops the button's spinner; cosmetic, so not worth the outbox
            await channel.bot.answer_callback_query(update.callback_query.id)
        except TelegramError:
            log.info("answerCallbackQuery failed", extra={"channel": CHANNEL})


async def _membership(channel: TelegramChannel, update: Update) -> None:
    """The bot was blocked (kicked) or unblocked in a private chat, removed from or added to a
    group. Nothing is said: a group the bot joins gets no greeting."""
    member = update.my_chat_member
    new, chat = getattr(member, "new_chat_member", None), getattr(member, "chat", None)
    if new is None or chat is None:
        return
    runtime = channel.inbox.runtime
    async with runtime.db.session() as s:
        contact = await find_contact(s, runtime.services.secrets, CHANNEL, str(chat.id))
        if contact is not None:
            contact.blocked = new.status in ("kicked", "left")


async def _migration(channel: TelegramChannel, msg) -> None:
    """A group became a supergroup (adding topics does that), which gives it a new chat id: its
    contact (binding, language, conversation) moves to the new id. Telegram says so in both chats."""
    if isinstance(msg.migrate_to_chat_id, int):
        old, new = msg.chat.id, msg.migrate_to_chat_id
    elif isinstance(msg.migrate_from_chat_id, int):
        old, new = msg.migrate_from_chat_id, msg.chat.id
    else:
        return
    runtime = channel.inbox.runtime
    secrets = runtime.services.secrets
    try:
        async with runtime.db.session() as s:
            if not await move_contact(s, secrets, CHANNEL, str(old), str(new)):
                return  # nothing to move, or moved already (the other chat's notice)
    except IntegrityError:  # the other notice, in another process, moved it at the same moment
        pass
    log.info("telegram group migrated to a supergroup", extra={"channel": CHANNEL})


def parse_update(body: bytes) -> dict | None:
    """The update's JSON object; None for JSON nested deeper than Python parses (Telegram's
    own updates are a few levels deep). Not JSON, or no `update_id`: MalformedUpdate."""
    try:
        data = json.loads(body)
    except RecursionError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise MalformedUpdate("no update_id")
    return data


async def webhook(request: web.Request) -> web.Response:
    channel = request.app[TELEGRAM]
    expected = channel.config.telegram_webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not expected or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return web.Response(status=403, text="bad secret")
    if request.content_length is not None and request.content_length > channel.config.max_body_bytes:
        return web.Response(status=413, text="body too large")
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        data = parse_update(await request.read())
        if data is None:  # acknowledged and dropped, so that Telegram does not deliver it again
            log.info("telegram update ignored", extra={"reason": "nested too deep"})
            return web.Response(text="ok")
        await handle_update(channel, data)
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=413, text="body too large")
    except (MalformedUpdate, ValueError) as exc:
        log.info("telegram request rejected", extra={"reason": type(exc).__name__})
        return web.Response(status=400, text="malformed update")
    metrics.ANSWER_SECONDS.labels(CHANNEL).observe(loop.time() - started)
    return web.Response(text="ok")


def make_respond(secrets: Secrets):
    async def respond(s: AsyncSession, contact: Contact, replies: list[Reply], inbox_id: int,
                      passive: bool, incoming: Incoming) -> Delivery:
        # Replies go through the outbox, written in the dialogue's own transaction: a crash
        # anywhere after the commit still delivers them, 403/429 are retried or recorded by the
        # outbox, and nothing is sent twice except in the outbox's few-millisecond window between
        # Telegram accepting a message and the row being marked sent. The worker is woken at
        # once, so this costs one database round trip of latency, not a poll interval.
        # in a forum topic, the destination is `CHAT:TOPIC` (TelegramSender); else the contact's chat
        thread = incoming.extra.get("thread")
        destination = f"{incoming.contact}:{thread}" if thread is not None else None
        if not incoming.private:  # later messages (staff replies, reminders) go where the group last wrote
            set_place(secrets, contact, None if thread is None else str(thread))
        album = incoming.extra.get("album")
        for n, reply in enumerate(replies):
            # An album comes as one update per photo, each run through the dialogue (a report
            # keeps every photo), but only the first to get here is answered: its first reply's
            # key is the album's, unique in the outbox across processes.
            key = f"album:{contact.id}:{album}" if album and n == 0 else f"inbox:{inbox_id}:{n}"
            row = await enqueue(s, secrets, channel=CHANNEL, replies=[reply], kind="reply", contact_id=contact.id,
                                destination=destination, dedupe_key=key)
            if row is None and album and n == 0:
                return Delivery(OUTBOX, None, queued=0)  # the album was answered
        return Delivery(OUTBOX, None, queued=len(replies))

    return respond


