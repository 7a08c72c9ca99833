"""A fake WeChat API server, and a WeChat "client" that signs and encrypts requests to `/wechat`
exactly as WeChat's servers do (with wechatpy's own `WeChatCrypto`).

Fake API (`WECHAT_API_BASE=fake.url`): `/cgi-bin/token` (counts `token_requests`),
`/cgi-bin/message/custom/send` (`fake.sent_texts()`), `/cgi-bin/message/template/send`,
`/cgi-bin/menu/create`, `/cgi-bin/qrcode/create` (a ticket and the URL a parameter QR code
encodes, `fake.qr_url(scene)`). Errors on demand:

    fake.error("/cgi-bin/message/custom/send", 45015)   # out of the 48-hour window
    fake.http_error("/cgi-bin/message/custom/send", 502)
    fake.expire_token()    # the current token is rejected with 42001 from now on
    fake.token_delay = 0.3 # slow token endpoint (concurrency tests)

Temporary media (`GET /cgi-bin/media/get`): `fake.add_media(media_id, data)` serves the bytes
(as WeChat does, with the file's Content-Type); `fake.expire_media(media_id)` (WeChat deletes
temporary media after three days) makes it answer 40007 invalid media_id.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from typing import Any

import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from .server import Call, FakeServer

APP_ID = "wx0123456789abcdef"
APP_SECRET = "fake-app-secret-0123456789"
TOKEN = "etpTestWechatToken2026"  # WeChat allows 3-32 letters and digits
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, like the console's
ACCOUNT = "gh_0123456789ab"  # the Official Account's own id (ToUserName)

CS_SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
MENU_CREATE = "/cgi-bin/menu/create"
TOKEN_PATH = "/cgi-bin/token"
MEDIA_GET = "/cgi-bin/media/get"
QR_CREATE = "/cgi-bin/qrcode/create"


def cdata(text: str) -> str:
    """Text inside CDATA, as a well-formed XML writer puts it: a "]]>" is split over two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class FakeWeChatAPI(FakeServer):
    def __init__(self, app_id: str = APP_ID, app_secret: str = APP_SECRET) -> None:
        super().__init__()
        self.app_id, self.app_secret = app_id, app_secret
        self.token_requests = 0
        self.token_delay = 0.0
        self.valid_tokens: set[str] = set()
        self._tokens = itertools.count(1)
        self.media: dict[str, tuple[bytes, str]] = {}

    def build(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_get(MEDIA_GET, self._media)
        app.router.add_post("/cgi-bin/{path:.*}", self._api)
        return app

    def error(self, path: str, errcode: int, errmsg: str = "fake error", times: int | None = 1) -> None:
        self.script(path, 200, {"errcode": errcode, "errmsg": errmsg}, times)

    def http_error(self, path: str, status: int = 502, times: int | None = 1) -> None:
        self.script(path, status, {"error": "bad gateway"}, times)

    def expire_token(self) -> None:
        self.valid_tokens.clear()

    @staticmethod
    def qr_url(scene: str) -> str:
        """The URL of a parameter QR code (WeChat's are opaque: http://weixin.qq.com/q/…)."""
        return "http://weixin.qq.com/q/02" + hashlib.sha256(scene.encode()).hexdigest()[:22]

    def sent_texts(self, openid: str | None = None) -> list[str]:
        return [p["text"]["content"] for p in self.delivered(CS_SEND)
                if p.get("msgtype") == "text" and (openid is None or p.get("touser") == openid)]

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        self.media[media_id] = (data, content_type)

    def expire_media(self, media_id: str | None = None) -> None:
        """WeChat's copy is gone (three days after it was sent): every media id, or one."""
        if media_id is None:
            self.media.clear()
        else:
            self.media.pop(media_id, None)

    async def _media(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if params.get("access_token") not in self.valid_tokens:
            self.calls.append(Call("rejected-token:" + MEDIA_GET, params))
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        scripted = await self._record(MEDIA_GET, params)
        if scripted is not None:
            return scripted
        found = self.media.get(params.get("media_id", ""))
        if found is None:  # WeChat answers errors as text/plain JSON
            return web.Response(text=json.dumps({"errcode": 40007, "errmsg": "invalid media_id"}),
                                content_type="text/plain")
        data, content_type = found
        return web.Response(body=data, content_type=content_type,
                            headers={"Content-disposition": 'attachment; filename="media.jpg"'})

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        q = request.query
        scripted = await self._record(TOKEN_PATH, {"appid": q.get("appid")})
        if scripted is not None:
            return scripted
        if q.get("appid") != self.app_id or q.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        token = f"ACCESS_TOKEN_{next(self._tokens)}"
        self.valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _api(self, request: web.Request) -> web.Response:
        path = "/cgi-bin/" + request.match_info["path"]
        raw = await request.read()
        try:
            params = json.loads(raw.decode("utf-8"))  # WeChat wants raw UTF-8, not \\u escapes
        except ValueError:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        params["_raw_utf8"] = b"\\u" not in raw
        if request.query.get("access_token") not in self.valid_tokens:
            self.calls.append(Call("rejected-token:" + path, params))
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        scripted = await self._record(path, params)
        if scripted is not None:
            return scripted
        if path == QR_CREATE:
            scene = params["action_info"]["scene"]["scene_str"]
            return web.json_response({"ticket": f"gQH47joAAAAAAAAAASxo-{scene}", "url": self.qr_url(scene),
                                      "expire_seconds": params.get("expire_seconds", 60)})
        return web.json_response({"errcode": 0, "errmsg": "ok", **({"msgid": 1} if "send" in path else {})})


# -- the WeChat side of /wechat ---------------------------------------------------------------------
class WeChatPlatform:
    """Builds requests to `/wechat` the way WeChat does: signature (and msg_signature, AES
    body in safe mode) on the query, and reads replies back (decrypting and checking them)."""

    def __init__(self, token: str = TOKEN, aes_key: str | None = AES_KEY, app_id: str = APP_ID) -> None:
        self.token, self.app_id = token, app_id
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._nonce = itertools.count(100000)
        self._msg_ids = itertools.count(int(time.time()) * 1000)

    def signature(self, timestamp: str, nonce: str) -> str:
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce)
        return signer.signature

    def request(self, xml: str, *, timestamp: str | None = None, nonce: str | None = None) -> tuple[dict[str, str], bytes]:
        """(query, body) for one POST, signed, and encrypted in safe mode."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(next(self._nonce))
        query = {"signature": self.signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        sender = xmltodict.parse(xml)["xml"].get("FromUserName") if xml.lstrip().startswith("<xml") else None
        if sender:
            query["openid"] = sender  # as WeChat does: the OpenID is in the URL
        if self.crypto is None:
            return query, xml.encode("utf-8")
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        return query, body.encode("utf-8")

    def read_reply(self, body: str) -> dict[str, Any] | None:
        """The reply as a dict (`Content`, `ToUserName`, …), or None for "success"/empty.
        In safe mode the reply's signature is checked and its body decrypted."""
        if body in ("", "success"):
            return None
        if self.crypto is not None:
            outer = xmltodict.parse(body)["xml"]
            body = self.crypto.decrypt_message(body, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        return xmltodict.parse(body)["xml"]

    # -- messages ---------------------------------------------------------------------------------
    def next_msg_id(self) -> int:
        return next(self._msg_ids)

    def text(self, openid: str, content: str, *, msg_id: int | None = None, create_time: int | None = None) -> str:
        return self._xml(openid, "text", create_time, f"<Content>{cdata(content)}</Content>",
                         msg_id if msg_id is not None else self.next_msg_id())

    def event(self, openid: str, event: str, key: str | None = None, *, create_time: int | None = None,
              inner: str = "") -> str:
        extra = f"<Event><![CDATA[{event}]]></Event>" + (f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else "")
        return self._xml(openid, "event", create_time, extra + inner, None)

    def location_event(self, openid: str, *, create_time: int | None = None) -> str:
        """The location report WeChat sends on entering the chat or every 5 s (when the account asks)."""
        return self.event(openid, "LOCATION", create_time=create_time,
                          inner="<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>")

    def product_scan_subscribe(self, openid: str, key: str = "scanbarcode|EAN13|6901234567892") -> str:
        """A follow from scanning a product (WeChat's 扫一扫 on a barcode or an image)."""
        return self.event(openid, "subscribe", key)

    def template_finished(self, openid: str) -> str:
        return self.event(openid, "TEMPLATESENDJOBFINISH", inner="<MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>")

    def voice(self, openid: str, recognition: str | None) -> str:
        extra = "<MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format>"
        if recognition is not None:
            extra += f"<Recognition><![CDATA[{recognition}]]></Recognition>"
        return self._xml(openid, "voice", None, extra, self.next_msg_id())

    def image(self, openid: str, media_id: str = "m1") -> str:
        return self._xml(openid, "image", None, "<PicUrl><![CDATA[http://example.invalid/p.jpg]]></PicUrl>"
                         f"<MediaId><![CDATA[{media_id}]]></MediaId>", self.next_msg_id())

    def location(self, openid: str) -> str:
        return self._xml(openid, "location", None, "<Location_X>22.3</Location_X><Location_Y>114.2</Location_Y>"
                         "<Scale>15</Scale><Label><![CDATA[somewhere]]></Label>", self.next_msg_id())

    def link(self, openid: str) -> str:
        return self._xml(openid, "link", None, "<Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description>"
                         "<Url><![CDATA[http://example.invalid/]]></Url>", self.next_msg_id())

    def _xml(self, openid: str, msg_type: str, create_time: int | None, inner: str, msg_id: int | None) -> str:
        # a retry of an event is recognised by its sender, CreateTime, Event and EventKey: by default
        # each message gets a second of its own (pass create_time to share one)
        self._last_time = max(int(time.time()), getattr(self, "_last_time", 0) + 1)
        created = create_time if create_time is not None else self._last_time
        mid = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
        return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
                f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{inner}{mid}</xml>")


class WeChatUser:
    """One WeChat user talking to the bot through an aiohttp TestClient."""

    def __init__(self, client, platform: WeChatPlatform, openid: str = "oTestUser0000000000000001") -> None:
        self.client, self.platform, self.openid = client, platform, openid

    async def post(self, xml: str, **kw: Any):
        query, body = self.platform.request(xml, **kw)
        return await self.client.post("/wechat", params=query, data=body)

    async def deliver(self, xml: str, **kw: Any) -> str | None:
        """POST and return the reply's text (None for "success"), asserting a 200."""
        resp = await self.post(xml, **kw)
        body = await resp.text()
        assert resp.status == 200, (resp.status, body)
        reply = self.platform.read_reply(body)
        if reply is None:
            return None
        assert reply["ToUserName"] == self.openid and reply["FromUserName"] == ACCOUNT
        return reply["Content"]

    async def say(self, content: str) -> str | None:
        return await self.deliver(self.platform.text(self.openid, content))
