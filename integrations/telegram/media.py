"""Telegram files (`getFile`, then the file download), for evidence: a photo or document a user
sent, by its file_id, through the channel's python-telegram-bot `Bot`. The Bot API lets bots
download files up to 20 MB."""
from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.core.config import Config
from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.services.outbox import RetryLater
from integrations.media_fetch import EvidenceFetcher, Gone, TooLarge
from integrations.telegram.send import retry_seconds

# "wrong file_id or the file is temporarily unavailable" may pass: the outbox retries it
TRANSIENT = "temporarily unavailable"


async def download(bot: Bot, file_id: str, max_bytes: int) -> bytes:
    try:
        file = await bot.get_file(file_id)
        if file.file_size is not None and file.file_size > max_bytes:
            raise TooLarge()
        data = bytes(await file.download_as_bytearray())
    except BadRequest as exc:
        text = str(exc).lower()
        if "too big" in text:
            raise TooLarge() from exc
        if TRANSIENT in text:
            raise RetryLater("Telegram file temporarily unavailable") from exc
        raise Gone("refused") from exc
    except RetryAfter as exc:
        raise RetryLater("429 Too Many Requests", after=retry_seconds(exc)) from exc
    except (NetworkError, TelegramError) as exc:
        raise RetryLater(type(exc).__name__) from exc
    if len(data) > max_bytes:
        raise TooLarge()
    return data


def fetcher(bot: Bot, db: Database, secrets: Secrets, config: Config) -> EvidenceFetcher:
    async def fetch(file_id: str, max_bytes: int) -> bytes:
        return await download(bot, file_id, max_bytes)

    return EvidenceFetcher(db, secrets, fetch, max_bytes=config.evidence_max_bytes)
