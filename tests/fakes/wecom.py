"""A fake WeCom (企业微信) group-robot webhook: `POST /cgi-bin/webhook/send?key=KEY` with
`{"msgtype": "text", "text": {"content": …}}`, answered `{"errcode": 0, "errmsg": "ok"}`; a wrong
key gets 93000 as WeCom answers. Errors on demand: `fake.error(45009)` (too many messages)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .server import FakeServer

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
SEND = "/cgi-bin/webhook/send"


class FakeWeCom(FakeServer):
    def __init__(self, key: str = KEY) -> None:
        super().__init__()
        self.key = key

    @property
    def webhook(self) -> str:
        """The value for ETP_ALERT_WECOM_WEBHOOK."""
        return f"{self.url}{SEND}?key={self.key}"

    def build(self) -> web.Application:
        app = web.Application()
        app.router.add_post(SEND, self._send)
        return app

    def error(self, errcode: int, errmsg: str = "fake error", times: int | None = 1) -> None:
        self.script(SEND, 200, {"errcode": errcode, "errmsg": errmsg}, times)

    def texts(self) -> list[str]:
        return [p["text"]["content"] for p in self.delivered(SEND)]

    async def _send(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        if request.query.get("key") != self.key:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        if body.get("msgtype") != "text" or not isinstance(body.get("text", {}).get("content"), str):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        scripted = await self._record(SEND, body)
        return scripted or web.json_response({"errcode": 0, "errmsg": "ok"})
