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
import uuid
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
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
from bot.services.contacts import find_contact
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
# The command menu (`setMyCommands`), in English and Chinese: from handlers/commands.toml.
MENU_COMMANDS = {lang: command_table.table().telegram_menu(lang) for lang in ("en", "zh")}


class MalformedUpdate(Exception):
    """Not a Telegram update: 400."""


@dataclass
class TelegramChannel:
    config: Config
    application: Application | None = None
    inbox: Inbox | None = None

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
        offered = Context.choices_from_json(conv.choices_json) if conv else []
    for choice in offered:
        if callback_data(choice.id) == data:
            return choice.id
    return data  # stale: the dialogue says so


# -- updates -------------------------------------------------------------------------------------
def message_incoming(update: Update) -> Incoming | None:
    msg = update.message
    if msg is None or msg.chat is None:
        return None
    kind, text = m.OTHER, ""
    if msg.text is not None:
        kind, text = m.TEXT, msg.text
    elif msg.photo:
        kind, text = m.IMAGE, msg.caption or ""
    elif msg.voice is not None:
        kind = m.VOICE
    elif msg.location is not None or msg.venue is not None:
        kind = m.LOCATION
    return Incoming(CHANNEL, str(msg.chat.id), str(update.update_id), kind=kind, text=text,
                    private=msg.chat.type == "private")


async def to_incoming(channel: TelegramChannel, update: Update) -> Incoming | None:
    """The update as a channel-neutral message, or None for updates the dialogue does not take."""
    if update.callback_query is not None:
        cq = update.callback_query
        chat = cq.message.chat if cq.message is not None else None
        chat_id = str(chat.id if chat is not None else cq.from_user.id)
        runtime = channel.inbox.runtime
        choice = await resolve_callback(runtime.db, runtime.services.secrets, chat_id, cq.data or "")
        return Incoming(CHANNEL, chat_id, str(update.update_id), kind=m.CHOICE, text=choice,
                        private=chat is None or chat.type == "private")
    return message_incoming(update)


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
    incoming = await to_incoming(channel, update)
    if incoming is None:
        return  # edited messages, channel posts…: acknowledged, nothing to say
    inbox_id, _new = await channel.inbox.store(str(update.update_id), incoming)
    result = await channel.inbox.process(inbox_id)
    if update.callback_query is not None and result.ran:
        try:  # stops the button's spinner; cosmetic, so not worth the outbox
            await channel.bot.answer_callback_query(update.callback_query.id)
        except TelegramError:
            log.info("answerCallbackQuery failed", extra={"channel": CHANNEL})


async def _membership(channel: TelegramChannel, update: Update) -> None:
    """The user blocked (kicked) or unblocked the bot in a private chat."""
    member = update.my_chat_member
    runtime = channel.inbox.runtime
    async with runtime.db.session() as s:
        contact = await find_contact(s, runtime.services.secrets, CHANNEL, str(member.chat.id))
        if contact is not None:
            contact.blocked = member.new_chat_member.status == "kicked"


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
        data = json.loads(await request.read())
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise MalformedUpdate("no update_id")
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
        for n, reply in enumerate(replies):
            await enqueue(s, secrets, channel=CHANNEL, replies=[reply], kind="reply", contact_id=contact.id,
                          dedupe_key=f"inbox:{inbox_id}:{n}")
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
    """The outbox sender: long texts split at 4,096 characters, choices as inline buttons."""

    def __init__(self, bot: Bot, db: Database, secrets: Secrets) -> None:
        self.bot, self.db, self.secrets = bot, db, secrets

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        # The channel queues one reply per outbox row; a reply longer than 4,096 characters is
        # several messages, and a failure after the first part resends the parts already sent.
        chat_id: int | str = int(destination) if destination.lstrip("-").isdigit() else destination
        for reply in replies:
            pieces = split_text(reply.text or "…", TEXT_LIMIT)
            for i, piece in enumerate(pieces):
                markup = keyboard(reply.choices) if i == len(pieces) - 1 else None
                await self._send_one(destination, chat_id, piece, markup)

    async def _send_one(self, destination: str, chat_id: int | str, text: str,
                        markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
        except Forbidden as exc:  # the user blocked the bot
            await self._mark_blocked(destination)
            raise Undeliverable(str(exc)) from exc
        except RetryAfter as exc:
            raise RetryLater("429 Too Many Requests", after=retry_seconds(exc)) from exc
        except BadRequest as exc:  # chat not found, message rejected: sending again will not help
            raise Undeliverable(str(exc)) from exc
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
        channel.application = build_application(config)
        await channel.application.initialize()
        await channel.application.start()
        app[K.SENDERS][CHANNEL] = TelegramSender(channel.bot, runtime.db, secrets)
        channel.inbox = Inbox(runtime, CHANNEL, make_respond(secrets),
                              notify=lambda: app[K.OUTBOX].notify() if K.OUTBOX in app else None)
        tasks = [asyncio.create_task(recover_forever(channel.inbox), name="telegram-recovery")]
        owner = f"{locks.PROCESS_ID[:48]}:{uuid.uuid4().hex[:8]}"  # this app, even beside another in-process
        if app[K.OPTIONS].get("telegram_polling"):
            if not await locks.acquire(runtime.db, POLLING_LEASE, timedelta(seconds=POLL_TIMEOUT * 3), owner):
                raise UserError("another process is already polling Telegram; stop it or use the webhook")
            await channel.bot.delete_webhook()
            tasks.append(asyncio.create_task(poll_forever(channel, owner), name="telegram-polling"))
        await channel.inbox.recover()
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if app[K.OPTIONS].get("telegram_polling"):
            await locks.release(runtime.db, POLLING_LEASE, owner)
        await channel.application.stop()
        await channel.application.shutdown()

    app.cleanup_ctx.append(lifecycle)
