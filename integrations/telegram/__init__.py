"""The Telegram channel: `POST /telegram` or long polling (`receive.py`, `polling.py`), the
outbox sender (`send.py`), the Bot API client and its connection in the background (`api.py`).
The shape every channel has is in `integrations/channel.py`."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from bot.core import locks
from bot.core.errors import UserError
from bot.services.evidence import media_channel
from integrations import appkeys as K
from integrations.channel import serving
from integrations.telegram import media
from integrations.telegram.api import MENU_COMMANDS, TELEGRAM, TelegramChannel, build_application, connect_forever
from integrations.telegram.polling import POLL_TIMEOUT, POLLING_LEASE, poll_forever
from integrations.telegram.receive import make_respond, webhook
from integrations.telegram.send import TelegramSender

__all__ = ["MENU_COMMANDS", "setup"]


def setup(app: web.Application) -> None:
    config = app[K.CONFIG]
    for name in ("httpx", "httpcore", "telegram"):  # the bot token is in their URLs
        logging.getLogger(name).setLevel(logging.WARNING)
    if not config.telegram_enabled:
        return
    channel = TelegramChannel(config=config)
    app[TELEGRAM] = channel
    app.router.add_post("/telegram", webhook)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime = app[K.RUNTIME]
        secrets = runtime.services.secrets
        polling = bool(app[K.OPTIONS].get("telegram_polling"))
        channel.application = build_application(config)
        owner = f"{locks.PROCESS_ID[:48]}:{uuid.uuid4().hex[:8]}"  # this app, even beside another in-process
        if polling and not await locks.acquire(runtime.db, POLLING_LEASE, timedelta(seconds=POLL_TIMEOUT * 3), owner):
            raise UserError("another process is already polling Telegram; stop it or use the webhook")
        sender = TelegramSender(channel.bot, runtime.db, secrets)
        app[K.SENDERS][media_channel(channel.name)] = media.fetcher(channel.bot, runtime.db, secrets, config)
        async with serving(app, channel, sender=sender, respond=make_respond(secrets)):
            then = (lambda: poll_forever(channel, owner)) if polling else None
            connecting = asyncio.create_task(connect_forever(channel, polling, then), name="telegram-connect")
            yield
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
        if polling:
            await locks.release(runtime.db, POLLING_LEASE, owner)
        if channel.application.running:
            await channel.application.stop()
        await channel.application.shutdown()
        await channel.bot.shutdown()  # its HTTP client, also when getMe never succeeded

    app.cleanup_ctx.append(lifecycle)

