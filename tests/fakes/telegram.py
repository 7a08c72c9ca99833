"""A fake Telegram Bot API server (aiohttp) for python-telegram-bot's real `Bot`.

Point the bot at it with `TELEGRAM_API_BASE=fake.base_url` (`config.telegram_api_base`). It
records every call (`fake.calls_to("sendMessage")`), answers like Telegram, and can answer
errors on demand:

    fake.forbid("sendMessage")            # 403: bot was blocked by the user
    fake.flood("sendMessage", retry_after=3)  # 429 with parameters.retry_after
    fake.hang("sendMessage")              # never answers (until the returned event is set)
    fake.push_update(text_update(...))    # served by getUpdates (polling)
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from aiohttp import web

from .server import FakeServer

TOKEN = "123456789:TEST-fake-bot-token_0123456789abcdef"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "ETP test bot", "username": "etp_test_bot"}


class FakeTelegramAPI(FakeServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self._update_event = asyncio.Event()
        self._message_ids = itertools.count(1000)

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE (PTB appends the token)."""
        return f"{self.url}/bot"

    def build(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    # -- scripted errors ------------------------------------------------------------------------
    def forbid(self, method: str = "sendMessage", times: int | None = 1,
               description: str = "Forbidden: bot was blocked by the user") -> None:
        self.script(method, 403, {"ok": False, "error_code": 403, "description": description}, times)

    def flood(self, method: str = "sendMessage", retry_after: int = 3, times: int | None = 1) -> None:
        self.script(method, 429, {"ok": False, "error_code": 429,
                                  "description": f"Too Many Requests: retry after {retry_after}",
                                  "parameters": {"retry_after": retry_after}}, times)

    def bad_request(self, method: str = "sendMessage", description: str = "Bad Request: chat not found",
                    times: int | None = 1) -> None:
        self.script(method, 400, {"ok": False, "error_code": 400, "description": description}, times)

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._update_event.set()

    # -- what Telegram answers ------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await _params(request)
        scripted = await self._record(method, params)
        if scripted is not None:
            return scripted
        if method == "getUpdates":
            return await self._get_updates(params)
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            chat_id = params.get("chat_id")
            return {"message_id": next(self._message_ids), "date": int(time.time()),
                    "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0, "type": "private"},
                    "from": BOT_USER, "text": params.get("text", "")}
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._update_event.clear()
            try:  # long polling, capped so a test never waits long
                await asyncio.wait_for(self._update_event.wait(), min(float(params.get("timeout") or 0), 1.0))
            except TimeoutError:
                pass
        return web.json_response({"ok": True, "result": self.updates[:100]})

    # -- conveniences for tests -----------------------------------------------------------------
    def messages_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Messages Telegram accepted for that chat (scripted errors left out)."""
        return [p for p in self.delivered("sendMessage") if str(p.get("chat_id")) == str(chat_id)]


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        raw = await request.json()
    else:
        raw = dict(await request.post())
        raw.update(request.query)
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[key] = value
    return params


# -- updates as Telegram sends them ------------------------------------------------------------------
_ids = itertools.count(1)


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Test", "username": f"user{user_id}", "language_code": "en"}


def _chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Test"}
    return {"id": chat_id, "type": chat_type, "title": "Test group"}


def text_update(text: str, *, chat_id: int = 5550001, update_id: int | None = None, user_id: int | None = None,
                chat_type: str = "private") -> dict[str, Any]:
    uid = update_id if update_id is not None else 700000 + next(_ids)
    message = {"message_id": uid, "date": int(time.time()), "chat": _chat(chat_id, chat_type),
               "from": _user(user_id or chat_id if chat_type == "private" else user_id or 4440001), "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": uid, "message": message}


def callback_update(data: str, *, chat_id: int = 5550001, update_id: int | None = None) -> dict[str, Any]:
    uid = update_id if update_id is not None else 700000 + next(_ids)
    message = {"message_id": 1, "date": int(time.time()), "chat": _chat(chat_id), "from": BOT_USER, "text": "menu"}
    return {"update_id": uid, "callback_query": {"id": f"cq{uid}", "from": _user(chat_id), "chat_instance": "ci1",
                                                 "message": message, "data": data}}


def media_update(kind: str, *, chat_id: int = 5550001, update_id: int | None = None) -> dict[str, Any]:
    """A photo, voice or location message."""
    uid = update_id if update_id is not None else 700000 + next(_ids)
    body = {
        "photo": {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}]},
        "voice": {"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 2}},
        "location": {"location": {"latitude": 22.3, "longitude": 114.2}},
    }[kind]
    message = {"message_id": uid, "date": int(time.time()), "chat": _chat(chat_id), "from": _user(chat_id), **body}
    return {"update_id": uid, "message": message}


def blocked_update(chat_id: int = 5550001, *, update_id: int | None = None, status: str = "kicked") -> dict[str, Any]:
    uid = update_id if update_id is not None else 700000 + next(_ids)
    member = lambda s: {"status": s, "user": BOT_USER, **({"until_date": 0} if s == "kicked" else {})}  # noqa: E731
    return {"update_id": uid, "my_chat_member": {
        "chat": _chat(chat_id), "from": _user(chat_id), "date": int(time.time()),
        "old_chat_member": member("member"), "new_chat_member": member(status)}}
