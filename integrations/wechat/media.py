"""WeChat's temporary media (`GET /cgi-bin/media/get`), for evidence: the photo a user sent, by
its MediaId, with the shared access token of `WeChatAPI` (a rejected token is refreshed once).
WeChat keeps temporary media for three days; after that it answers 40007 (invalid media_id)."""
from __future__ import annotations

import json

import aiohttp

from bot.core.config import Config
from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.services.outbox import RetryLater
from integrations.media_fetch import EvidenceFetcher, Gone, TooLarge, read_limited
from integrations.wechat.api import TOKEN_ERRORS, WeChatAPI, WeChatError

GONE_CODES = {40007: "expired", 46001: "expired"}  # invalid media_id; no such media


async def download(api: WeChatAPI, media_id: str, max_bytes: int) -> bytes:
    try:
        token = await api.access_token()
        for attempt in (1, 2):
            async with api.http.get(f"{api.base}/cgi-bin/media/get",
                                    params={"access_token": token, "media_id": media_id}) as resp:
                resp.raise_for_status()
                if resp.content_length is not None and resp.content_length > max_bytes:
                    raise TooLarge()
                body = await read_limited(resp.content, max_bytes)
            error = _error(body)
            if error is None:
                return body
            if error in TOKEN_ERRORS and attempt == 1:
                token = await api.access_token(stale=token)
                continue
            if error in GONE_CODES:
                raise Gone(GONE_CODES[error])
            raise RetryLater(f"WeChat media/get error {error}", after=600.0 if error in (45009, 45011) else None)
    except (aiohttp.ClientError, TimeoutError, WeChatError) as exc:
        raise RetryLater(f"WeChat media/get: {type(exc).__name__}") from exc
    raise RetryLater("WeChat token rejected twice")


def _error(body: bytes) -> int | None:
    """The errcode of a JSON error answer; None for a file (no image or PDF starts with "{")."""
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and "errcode" in data:
        return int(data.get("errcode") or 0) or None
    return None


def fetcher(api: WeChatAPI, db: Database, secrets: Secrets, config: Config) -> EvidenceFetcher:
    async def fetch(media_id: str, max_bytes: int) -> bytes:
        return await download(api, media_id, max_bytes)

    return EvidenceFetcher(db, secrets, fetch, max_bytes=config.evidence_max_bytes)
