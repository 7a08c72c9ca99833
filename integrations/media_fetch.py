"""Fetching evidence from the platforms: the outbox sender of the channels `wechat-media` and
`telegram-media` (`bot.services.evidence` queues one job per photo or document; the outbox
claims, retries with backoff and gives up as it does for messages: one way to retry).

A job's destination is the evidence row's id. Each platform gives a `download(platform_id,
max_bytes) -> bytes` (`integrations/wechat/media.py`, `integrations/telegram/media.py`), which
raises `Gone` when the platform no longer has the file, `TooLarge` above the limit, and
`RetryLater` for what may work later (network, quota, a rejected token).

Outcomes: kept (re-encoded without metadata, encrypted), refused (type or size: the job is done,
nothing kept), gone (`Undeliverable`: the fetch failed for good). The platform's id is dropped
from the row in every final outcome. Nothing about the file or the reporter is logged.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.messages import Reply
from bot.core.models import utcnow
from bot.core.models.evidence import GONE, REFUSED
from bot.services import evidence
from bot.services.outbox import Undeliverable

Download = Callable[[str, int], Awaitable[bytes]]


class Gone(Exception):
    """The platform no longer has the file (WeChat deletes temporary media after three days)."""

    def __init__(self, reason: str = "expired") -> None:
        super().__init__(reason)
        self.reason = reason


class TooLarge(Exception):
    """Larger than ETP_EVIDENCE_MAX_BYTES (known before or while downloading)."""


class EvidenceFetcher:
    def __init__(self, db: Database, secrets: Secrets, download: Download, *, max_bytes: int) -> None:
        self.db, self.secrets, self.download, self.max_bytes = db, secrets, download, max_bytes

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        evidence_id = int(destination)
        async with self.db.session() as s:
            found = await evidence.pending(s, self.secrets, evidence_id)
        if found is None:
            return  # kept already (a retried claim), or purged with its case
        _platform, platform_id = found
        try:
            data = await self.download(platform_id, self.max_bytes)
            kept = await asyncio.to_thread(evidence.clean, data, self.max_bytes)
        except Gone as exc:
            await self._give_up(evidence_id, GONE, exc.reason)
            raise Undeliverable(f"evidence gone: {exc.reason}") from exc
        except TooLarge:
            await self._give_up(evidence_id, REFUSED, "size")
            return
        except evidence.Refused as exc:
            await self._give_up(evidence_id, REFUSED, exc.reason)
            return
        async with self.db.session() as s:
            await evidence.store(s, self.secrets, evidence_id, kept, utcnow())

    async def _give_up(self, evidence_id: int, status: str, reason: str) -> None:
        async with self.db.session() as s:
            await evidence.give_up(s, evidence_id, status, reason, utcnow())


async def read_limited(chunks, max_bytes: int) -> bytes:
    """An aiohttp body (`resp.content`) read to the end, or TooLarge past `max_bytes`."""
    out = bytearray()
    async for chunk in chunks.iter_chunked(65536):
        out += chunk
        if len(out) > max_bytes:
            raise TooLarge()
    return bytes(out)
