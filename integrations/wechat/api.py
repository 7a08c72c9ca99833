"""The WeChat Official Account API over aiohttp (wechatpy's own client is synchronous).

The access token lives two hours and its daily quota is small, so it is cached in the database
(`SharedValue`, encrypted) and refreshed under a lease: several processes share one token and
never refresh it against each other. A token the API rejects (40001/40014/42001) is refreshed
once, unless another process has already stored a newer one.
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.core import locks
from bot.core.config import Config
from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.models import SharedValue, utcnow

log = logging.getLogger(__name__)

TOKEN_NAME = "wechat_access_token"
TOKEN_LEASE = "wechat:token_refresh"
TOKEN_MARGIN = timedelta(minutes=5)  # refresh this long before the token expires
TOKEN_ERRORS = {40001, 40014, 42001}
TIMEOUT = aiohttp.ClientTimeout(total=10)


class WeChatError(Exception):
    """The API answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}"[:200])
        self.errcode, self.errmsg = errcode, errmsg


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    """The JSON answer; an HTTP error or a body that is not JSON raises (and is retried). Not
    aiohttp's own HTTP error: its message holds the URL, and with it the AppSecret or the token."""
    if resp.status >= 400:
        raise WeChatError(-1, f"HTTP {resp.status} from {resp.url.path}")
    try:
        data = await resp.json(content_type=None)
    except ValueError as exc:
        raise WeChatError(-1, "answer is not JSON") from exc
    if not isinstance(data, dict):
        raise WeChatError(-1, "answer is not a JSON object")
    return data


class WeChatAPI:
    def __init__(self, config: Config, db: Database, secrets: Secrets,
                 http: aiohttp.ClientSession | None = None) -> None:
        self.base = config.wechat_api_base.rstrip("/")
        self.app_id, self.app_secret = config.wechat_app_id or "", config.wechat_app_secret or ""
        self.db, self.secrets = db, secrets
        self._http, self._own_http = http, http is None
        self._memory: tuple[str, Any] | None = None  # (token, expires_at): saves a read per call
        self._refreshing = asyncio.Lock()
        # one lease owner per client, so two clients in one process coordinate like two processes
        self.owner = f"{locks.PROCESS_ID[:48]}:{uuid.uuid4().hex[:8]}"

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._http

    async def close(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.close()

    def scrub(self, text: str) -> str:
        """`text` with the AppSecret and the access token taken out (for error messages)."""
        for secret, name in ((self.app_secret, "<AppSecret>"), (self._memory[0] if self._memory else "", "<token>")):
            if secret:
                text = text.replace(secret, name)
        return text

    # -- the access token ---------------------------------------------------------------------
    async def access_token(self, stale: str | None = None) -> str:
        """A valid token; `stale` is one the API just rejected (never returned again)."""
        if self._memory and self._memory[0] != stale and self._memory[1] > utcnow() + TOKEN_MARGIN:
            return self._memory[0]
        async with self._refreshing:
            deadline = asyncio.get_running_loop().time() + 15
            while True:
                token = await self._shared(stale)
                if token:
                    return token
                if await locks.acquire(self.db, TOKEN_LEASE, timedelta(seconds=30), self.owner):
                    try:
                        return await self._shared(stale) or await self._fetch()
                    finally:
                        await locks.release(self.db, TOKEN_LEASE, self.owner)
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError("another process is refreshing the WeChat token for too long")
                await asyncio.sleep(0.2)  # another process is refreshing: use its token

    async def _shared(self, stale: str | None) -> str | None:
        async with self.db.session() as s:
            row = (await s.execute(select(SharedValue).where(SharedValue.name == TOKEN_NAME))).scalar_one_or_none()
            if row is None or row.expires_at is None or row.expires_at <= utcnow() + TOKEN_MARGIN:
                return None
            token = self.secrets.decrypt(row.value_enc)
            if token == stale:
                return None
            self._memory = (token, row.expires_at)
            return token

    async def _fetch(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
        async with self.http.get(f"{self.base}/cgi-bin/token", params=params) as resp:
            data = await _json(resp)
        if "access_token" not in data:
            raise WeChatError(int(data.get("errcode", -1)), str(data.get("errmsg", "")))
        token, expires_at = data["access_token"], utcnow() + timedelta(seconds=int(data.get("expires_in", 7200)))
        async with self.db.session() as s:
            await s.merge(SharedValue(name=TOKEN_NAME, value_enc=self.secrets.encrypt(token), expires_at=expires_at))
        self._memory = (token, expires_at)
        log.info("wechat access token refreshed")
        return token

    # -- calls ----------------------------------------------------------------------------------
    async def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST JSON with the token; a rejected token is refreshed and the call made once more."""
        token = await self.access_token()
        for attempt in (1, 2):
            # ensure_ascii=False: WeChat shows \\uXXXX escapes literally in menus and messages
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            async with self.http.post(f"{self.base}{path}", params={"access_token": token}, data=body,
                                      headers={"Content-Type": "application/json; charset=utf-8"}) as resp:
                data = await _json(resp)
            code = int(data.get("errcode", 0) or 0)
            if code == 0:
                return data
            if code in TOKEN_ERRORS and attempt == 1:
                token = await self.access_token(stale=token)
                continue
            raise WeChatError(code, str(data.get("errmsg", "")))
        raise AssertionError("unreachable")

    async def send_text(self, openid: str, text: str) -> None:
        await self.call("/cgi-bin/message/custom/send",
                        {"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_template(self, openid: str, template_id: str, data: dict[str, Any]) -> None:
        await self.call("/cgi-bin/message/template/send",
                        {"touser": openid, "template_id": template_id, "data": data})

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.call("/cgi-bin/menu/create", menu)

    async def create_qrcode(self, scene: str, expire_seconds: int) -> str:
        """A temporary parameter QR code (`QR_STR_SCENE`, at most 30 days): the URL its image
        encodes. Scanning it, a new follower sends `subscribe` with `qrscene_SCENE`, a follower `SCAN`."""
        data = await self.call("/cgi-bin/qrcode/create", {
            "expire_seconds": expire_seconds, "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}}})
        if not isinstance(data.get("url"), str):
            raise WeChatError(-1, "qrcode/create answered without a url")
        return data["url"]
