"""The Bot API client: python-telegram-bot's `Application` (it parses updates and owns the
`Bot`, with `AIORateLimiter` for Telegram's flood limits), living inside the aiohttp lifecycle
(`updater(None)`, no `run_webhook`/`run_polling`), and reaching Telegram in the background.
Conversation state stays in the database, not in PTB."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from telegram import Bot, BotCommand
from telegram.error import BadRequest, InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.core.config import Config
from handlers import command_table
from integrations.channel import Channel
from integrations.telegram.send import CHANNEL

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
# The command menu (`setMyCommands`), in English and Chinese: from handlers/commands.toml.
MENU_COMMANDS = {lang: command_table.table().telegram_menu(lang) for lang in ("en", "zh")}
CONNECT_RETRY_FIRST, CONNECT_RETRY_MAX = 2.0, 300.0  # seconds between tries to reach the Bot API, doubling


@dataclass(kw_only=True)
class TelegramChannel(Channel):
    name: str = CHANNEL
    application: Application | None = None
    username: str | None = None  # the bot's, from getMe; None until Telegram has been reached
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def bot(self) -> Bot:
        return self.application.bot


TELEGRAM: web.AppKey[TelegramChannel] = web.AppKey("telegram")


async def connect(channel: TelegramChannel, polling: bool) -> None:
    """getMe (the bot's username), and for polling deleteWebhook."""
    await channel.application.initialize()
    if polling:
        await channel.bot.delete_webhook()


async def connect_forever(channel: TelegramChannel, polling: bool,
                          then: Callable[[], Awaitable[None]] | None = None) -> None:
    """Reach the Bot API in the background, so that an unreachable Telegram (it is blocked in
    mainland China, where the WeChat users are) stops neither the server nor the other channels.
    Until then updates are still stored and answered (the outbox retries the replies), and a
    command addressed `@…` in a group is left alone (the username is not known yet)."""
    delay = CONNECT_RETRY_FIRST
    while True:
        try:
            await connect(channel, polling)
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
    if then is not None:
        await then()  # long polling


def file_base(api_base: str) -> str:
    """The file download base for a TELEGRAM_API_BASE (`…/bot` → `…/file/bot`)."""
    base = api_base.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


def build_application(config: Config) -> Application:
    return (
        ApplicationBuilder()
        .token(config.telegram_bot_token)
        .base_url(config.telegram_api_base)
        .base_file_url(file_base(config.telegram_api_base))
        .updater(None)
        .rate_limiter(AIORateLimiter(max_retries=0))  # a 429 goes back to the outbox, which waits
        .build()
    )


# -- set-up (`etp-bot telegram set-webhook URL`) -------------------------------------------------
async def register_webhook(config: Config, url: str) -> None:
    """The webhook with its secret and the update types the bot takes, and the command menu in
    English and (for Chinese-language clients) Chinese."""
    async with Bot(config.telegram_bot_token, base_url=config.telegram_api_base) as bot:
        await bot.set_webhook(url, secret_token=config.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES)
        for lang, code in (("en", None), ("zh", "zh")):
            await bot.set_my_commands([BotCommand(name, text) for name, text in MENU_COMMANDS[lang]],
                                      language_code=code)


def failure_line(exc: Exception, token: str) -> str:
    """A Bot API failure in one line, never the token (InvalidToken's own message holds it)."""
    if isinstance(exc, InvalidToken):
        return "Telegram rejected TELEGRAM_BOT_TOKEN; nothing was registered"
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
        return f"the Telegram API is unreachable ({type(exc).__name__}); run the command again"
    return f"Telegram refused: {str(exc).replace(token, '<token>')}"
