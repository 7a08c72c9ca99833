"""The Telegram channel: `POST /telegram` (webhook) or long polling (`serve --telegram-polling`).

python-telegram-bot's `Application` lives inside the aiohttp lifecycle (`updater(None)`, no
`run_webhook`/`run_polling`): it parses updates and owns the `Bot` (with `AIORateLimiter` for
Telegram's flood limits). Conversation state stays in the database, not in PTB.

An update is stored in the inbox (unique `update_id`) before Telegram gets its 200, then run
through the dialogue once; a redelivered update is ignored. Replies are queued in the outbox in
the same transaction that runs the dialogue (see `respond`).
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
import uuid
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.core import locks, metrics
from bot.core import messages as m
from bot.core.config import Config
from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.errors import UserError
from bot.core.messages import Choice, Incoming, Reply
from bot.core.models import Contact, Conversation
from bot.core.models.messaging import OUTBOX
from bot.services.contacts import find_contact, move_contact
from bot.services.outbox import RetryLater, Undeliverable, enqueue
from handlers import command_table
from handlers.context import Context
from integrations import appkeys as K
from integrations.inbox import Delivery, Inbox, recover_forever
from integrations.text import split_text

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CALLBACK_LIMIT = 64  # bytes of callback_data
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLLING_LEASE = "telegram:polling"
POLL_TIMEOUT = 25
CONNECT_RETRY_FIRST, CONNECT_RETRY_MAX = 2.0, 300.0  # seconds between tries to reach the Bot API, doubling
# The command menu (`setMyCommands`), in English and Chinese: from handlers/commands.toml.
MENU_COMMANDS = {lang: command_table.table().telegram_menu(lang) for lang in ("en", "zh")}


class MalformedUpdate(Exception):
    """Not a Telegram update: 400."""


@dataclass
class TelegramChannel:
    config: Config
    application: Application | None = None
    inbox: Inbox | None = None
    username: str | None = None  # the bot's, from getMe; None until Telegram has been reached
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def bot(self) -> Bot:
        return self.application.bot


TELEGRAM: web.AppKey[TelegramChannel] = web.AppKey("telegram")


# -- choices and buttons ---------------------------------------------------------------------------
def callback_data(choice_id: str) -> str:
    """The choice id itself when it fits Telegram's 64 bytes, else a hash resolved on return."""
    if len(choice_id.encode("utf-8")) <= CALLBACK_LIMIT:
        return choice_id
    return "#" + hashlib.sha256(choice_id.encode("utf-8")).hexdigest()[:32]


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    # numbered like the text channels: typing the number works too
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"{n}. {c.label}", callback_data=callback_data(c.id))]
                                 for n, c in enumerate(choices, 1)])


async def resolve_callback(db: Database, secrets: Secrets, chat_id: str, data: str) -> str:
    """A hashed callback_data back to the choice id, among the choices offered last."""
    if not data.startswith("#"):
        return data
    async with db.session() as s:
        contact = await find_contact(s, secrets, CHANNEL, chat_id)
        conv = await s.get(Conversation, contact.id) if contact else None
        offered = Context.choices_from_json(conv.choices_json, secrets) if conv else []
    for choice in offered:
        if callback_data(choice.id) == data:
            return choice.id
    return data  # stale: the dialogue says so


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
    if sent == "document" and (msg.document.mime_type or "").startswith("image/"):  # a photo sent uncompressed
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
                    private=private, extra=extra)


async def to_incoming(channel: TelegramChannel, update: Update) -> Incoming | None:
    """The update as a channel-neutral message, or None for updates the dialogue does not take."""
    if update.callback_query is not None:
        return await callback_incoming(channel, update)
    return message_incoming(update, channel.username)


async def callback_incoming(channel: TelegramChannel, update: Update) -> Incoming | None:
    """A press on one of our buttons. Without its message the button was on an inline-mode
    message (this bot sends none); data that is not a string is not ours either."""
    cq = update.callback_query
    chat = getattr(cq.message, "chat", None)
    if chat is None or not isinstance(cq.data, str):
        return None
    chat_id = str(chat.id)
    runtime = channel.inbox.runtime
    choice = await resolve_callback(runtime.db, runtime.services.secrets, chat_id, cq.data)
    thread = thread_of(cq.message)
    return Incoming(CHANNEL, chat_id, str(update.update_id), kind=m.CHOICE, text=choice,
                    private=chat.type == "private", extra={} if thread is None else {"thread": thread})


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
    incoming = await to_incoming(channel, update)
    if incoming is None:
        return  # service messages, edited messages, reactions, channel posts…: acknowledged, nothing to say
    inbox_id, _new = await channel.inbox.store(str(update.update_id), incoming)
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


def retry_seconds(exc: RetryAfter) -> float:
    """PTB 22 gives an int (deprecated) or a timedelta (PTB_TIMEDELTA=1, the future)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        after = exc.retry_after
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


# -- sending ------------------------------------------------------------------------------------
class TelegramSender:
    """The outbox sender: long texts split at 4,096 characters, choices as inline buttons. A
    destination is a chat id, or `CHAT:TOPIC` for a forum topic (also ETP_STAFF_ALERT_TELEGRAM_CHAT)."""

    def __init__(self, bot: Bot, db: Database, secrets: Secrets) -> None:
        self.bot, self.db, self.secrets = bot, db, secrets

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        # The channel queues one reply per outbox row; a reply longer than 4,096 characters is
        # several messages, and a failure after the first part resends the parts already sent.
        chat, _, topic = destination.partition(":")
        chat_id: int | str = int(chat) if chat.lstrip("-").isdigit() else chat
        thread = int(topic) if topic.isdigit() else None
        for reply in replies:
            pieces = split_text(reply.text or "…", TEXT_LIMIT)
            for i, piece in enumerate(pieces):
                markup = keyboard(reply.choices) if i == len(pieces) - 1 else None
                await self._send_one(chat, chat_id, thread, piece, markup)

    async def _send_one(self, chat: str, chat_id: int | str, thread: int | None, text: str,
                        markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self.bot.send_message(chat_id=chat_id, message_thread_id=thread, text=text, reply_markup=markup)
        except Forbidden as exc:  # the user blocked the bot
            await self._mark_blocked(chat)
            raise Undeliverable(str(exc)) from exc
        except RetryAfter as exc:
            raise RetryLater("429 Too Many Requests", after=retry_seconds(exc)) from exc
        except BadRequest as exc:
            if thread is not None and "thread not found" in str(exc).lower():
                return await self._send_one(chat, chat_id, None, text, markup)  # the topic was deleted: General
            raise Undeliverable(str(exc)) from exc  # chat not found, message rejected: sending again will not help
        except (NetworkError, TelegramError) as exc:
            raise RetryLater(type(exc).__name__) from exc

    async def _mark_blocked(self, destination: str) -> None:
        async with self.db.session() as s:
            contact = await find_contact(s, self.secrets, CHANNEL, destination)
            if contact is not None:
                contact.blocked = True


# -- polling (local use) ------------------------------------------------------------------------
async def poll_forever(channel: TelegramChannel, owner: str) -> None:
    """Long polling for local development. An update is acknowledged (the next offset) only
    after it is stored, so stopping the poller loses nothing."""
    db = channel.inbox.runtime.db
    offset: int | None = None
    while True:
        if not await locks.acquire(db, POLLING_LEASE, timedelta(seconds=POLL_TIMEOUT * 3), owner):
            log.error("another process took over Telegram polling; stopping", extra={"channel": CHANNEL})
            return
        try:
            updates = await channel.bot.get_updates(offset=offset, timeout=POLL_TIMEOUT,
                                                    allowed_updates=ALLOWED_UPDATES)
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc))
            continue
        except TelegramError as exc:
            log.warning("telegram polling failed; retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(2)
            continue
        for update in updates:
            try:
                await handle_update(channel, update.to_dict())
            except MalformedUpdate:
                log.info("telegram update skipped", extra={"channel": CHANNEL})
            except Exception:
                log.exception("telegram update not stored; retrying", extra={"channel": CHANNEL})
                await asyncio.sleep(2)
                break
            offset = update.update_id + 1


# -- connecting ---------------------------------------------------------------------------------
async def connect(channel: TelegramChannel, polling: bool) -> None:
    """getMe (the bot's username), and for polling deleteWebhook."""
    await channel.application.initialize()
    if polling:
        await channel.bot.delete_webhook()


async def connect_forever(channel: TelegramChannel, polling_owner: str | None) -> None:
    """Reach the Bot API in the background, so that an unreachable Telegram (it is blocked in
    mainland China, where the WeChat users are) stops neither the server nor the other channels.
    Until then updates are still stored and answered (the outbox retries the replies), and a
    command addressed `@…` in a group is left alone (the username is not known yet)."""
    delay = CONNECT_RETRY_FIRST
    while True:
        try:
            await connect(channel, polling_owner is not None)
            break
        except InvalidToken:  # its message holds the token: never logged
            log.error("Telegram rejected TELEGRAM_BOT_TOKEN; Telegram stays off until the server restarts",
                      extra={"channel": CHANNEL})
            return
        except Exception as exc:  # one line a failure, no traceback: this is expected where Telegram is blocked
            log.warning("Telegram API unreachable; retrying in %.0f s", delay,
                        extra={"channel": CHANNEL, "error": type(exc).__name__})
        await asyncio.sleep(delay)
        delay = min(delay * 2, CONNECT_RETRY_MAX)
    await channel.application.start()
    channel.username = channel.bot.username
    channel.connected.set()
    log.info("Telegram connected", extra={"channel": CHANNEL})
    if polling_owner is not None:
        await poll_forever(channel, polling_owner)


def build_application(config: Config) -> Application:
    return (
        ApplicationBuilder()
        .token(config.telegram_bot_token)
        .base_url(config.telegram_api_base)
        .updater(None)
        .rate_limiter(AIORateLimiter(max_retries=0))  # a 429 goes back to the outbox, which waits
        .build()
    )


def setup(app: web.Application) -> None:
    config = app[K.CONFIG]
    for name in ("httpx", "httpcore", "telegram"):  # the bot token is in their URLs
        logging.getLogger(name).setLevel(logging.WARNING)
    if not config.telegram_enabled:
        return
    channel = TelegramChannel(config)
    app[TELEGRAM] = channel
    app.router.add_post("/telegram", webhook)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime = app[K.RUNTIME]
        secrets = runtime.services.secrets
        polling = bool(app[K.OPTIONS].get("telegram_polling"))
        channel.application = build_application(config)
        app[K.SENDERS][CHANNEL] = TelegramSender(channel.bot, runtime.db, secrets)
        channel.inbox = Inbox(runtime, CHANNEL, make_respond(secrets),
                              notify=lambda: app[K.OUTBOX].notify() if K.OUTBOX in app else None)
        owner = f"{locks.PROCESS_ID[:48]}:{uuid.uuid4().hex[:8]}"  # this app, even beside another in-process
        if polling and not await locks.acquire(runtime.db, POLLING_LEASE, timedelta(seconds=POLL_TIMEOUT * 3), owner):
            raise UserError("another process is already polling Telegram; stop it or use the webhook")
        await channel.inbox.recover()
        tasks = [asyncio.create_task(recover_forever(channel.inbox), name="telegram-recovery"),
                 asyncio.create_task(connect_forever(channel, owner if polling else None), name="telegram-connect")]
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if polling:
            await locks.release(runtime.db, POLLING_LEASE, owner)
        if channel.application.running:
            await channel.application.stop()
        await channel.application.shutdown()
        await channel.bot.shutdown()  # its HTTP client, also when getMe never succeeded

    app.cleanup_ctx.append(lifecycle)
