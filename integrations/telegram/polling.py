"""Long polling for local use (`serve --telegram-polling`): one process at a time (a lease)."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram.error import RetryAfter, TelegramError

from bot.core import locks
from integrations.telegram.api import ALLOWED_UPDATES, TelegramChannel
from integrations.telegram.receive import MalformedUpdate, handle_update
from integrations.telegram.send import CHANNEL, retry_seconds

log = logging.getLogger(__name__)

POLLING_LEASE = "telegram:polling"
POLL_TIMEOUT = 25


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


