"""A fake Telegram Bot API server (aiohttp) for python-telegram-bot's real `Bot`.

Point the bot at it with `TELEGRAM_API_BASE=fake.base_url` (`config.telegram_api_base`). It
records every call (`fake.calls_to("sendMessage")`), answers like Telegram, and can answer
errors on demand:

    fake.forbid("sendMessage")            # 403: bot was blocked by the user
    fake.flood("sendMessage", retry_after=3)  # 429 with parameters.retry_after
    fake.hang("sendMessage")              # never answers (until the returned event is set)
    fake.unreachable()                    # every call's connection is dropped (`reachable()` ends it)
    fake.push_update(text_update(...))    # served by getUpdates (polling)
    fake.add_file("p1", data)             # getFile and the download (`/file/bot<token>/<path>`) serve it
    fake.expire_file("p1")                # gone: getFile answers 400, the download 404

Below the server: builders of updates as Telegram sends them (`text_update`, `callback_update`,
`media_update`, `service_update`, …) and a corpus of real shapes (`WEBHOOK_SAMPLES`, Telegram's
published sample updates; `MESSAGE_SHAPES`, python-telegram-bot's test messages; `OTHER_UPDATES`,
one of every other update type of the Bot API).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from aiohttp import web

from .server import Call, FakeServer

TOKEN = "123456789:TEST-fake-bot-token_0123456789abcdef"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "ETP test bot", "username": "etp_test_bot"}


class FakeTelegramAPI(FakeServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self._update_event = asyncio.Event()
        self._message_ids = itertools.count(1000)
        self._unreachable = False
        self.files: dict[str, bytes] = {}
        self._paths: dict[str, str] = {}  # file_id -> file_path, as getFile gives it

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE (PTB appends the token)."""
        return f"{self.url}/bot"

    def build(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    # -- files --------------------------------------------------------------------------------
    def add_file(self, file_id: str, data: bytes) -> None:
        self.files[file_id] = data
        self._paths.setdefault(file_id, f"documents/file_{len(self._paths)}")

    def expire_file(self, file_id: str | None = None) -> None:
        if file_id is None:
            self.files.clear()
        else:
            self.files.pop(file_id, None)

    def _file_path(self, file_id: str) -> str:
        return self._paths[file_id]

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        path = request.match_info["path"]
        self.calls.append(Call("download", {"path": path}))
        for file_id, data in self.files.items():
            if self._file_path(file_id) == path:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

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

    def unreachable(self) -> None:
        """Telegram blocked: each call is recorded, then its connection dropped without an answer."""
        self._unreachable = True

    def reachable(self) -> None:
        self._unreachable = False

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._update_event.set()

    # -- what Telegram answers ------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await _params(request)
        if self._unreachable:
            self.calls.append(Call(method, params, scripted=True))
            request.transport.close()
            return web.Response()  # never reaches the client
        scripted = await self._record(method, params)
        if scripted is not None:
            return scripted
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "getFile":
            file_id = str(params.get("file_id", ""))
            if file_id not in self.files:
                return web.json_response({"ok": False, "error_code": 400, "description":
                                          "Bad Request: wrong file_id or the file is temporarily unavailable"},
                                         status=400)
            return web.json_response({"ok": True, "result": {
                "file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files[file_id]),
                "file_path": self._file_path(file_id)}})
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
    if chat_type == "forum":
        return {"id": chat_id, "type": "supergroup", "title": "Test forum", "is_forum": True}
    return {"id": chat_id, "type": chat_type, "title": "Test group"}


def _uid(update_id: int | None) -> int:
    return update_id if update_id is not None else 700000 + next(_ids)


def message_update(fields: dict[str, Any], *, chat_id: int = 5550001, chat_type: str = "private",
                   update_id: int | None = None, user_id: int | None = None, thread_id: int | None = None,
                   kind: str = "message") -> dict[str, Any]:
    """An update carrying a message with `fields` (text, photo, new_chat_members …). `thread_id`:
    in a forum topic (chat_type "forum"); `kind`: "edited_message", "channel_post" … instead."""
    uid = _uid(update_id)
    sender = user_id or (chat_id if chat_type == "private" else 4440001)
    message = {"message_id": uid, "date": int(time.time()), "chat": _chat(chat_id, chat_type), "from": _user(sender),
               **fields}
    if thread_id is not None:
        message.update(message_thread_id=thread_id, is_topic_message=True)
    return {"update_id": uid, kind: message}


def text_update(text: str, *, chat_id: int = 5550001, update_id: int | None = None, user_id: int | None = None,
                chat_type: str = "private", thread_id: int | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return message_update(fields, chat_id=chat_id, chat_type=chat_type, update_id=update_id, user_id=user_id,
                          thread_id=thread_id)


def callback_update(data: Any, *, chat_id: int = 5550001, update_id: int | None = None, chat_type: str = "private",
                    thread_id: int | None = None) -> dict[str, Any]:
    uid = _uid(update_id)
    message = {"message_id": 1, "date": int(time.time()), "chat": _chat(chat_id, chat_type), "from": BOT_USER,
               "text": "menu"}
    if thread_id is not None:
        message.update(message_thread_id=thread_id, is_topic_message=True)
    return {"update_id": uid, "callback_query": {"id": f"cq{uid}", "from": _user(chat_id), "chat_instance": "ci1",
                                                 "message": message, "data": data}}


def media_update(kind: str, *, chat_id: int = 5550001, update_id: int | None = None, caption: str | None = None,
                 media_group_id: str | None = None, file_id: str = "p1", chat_type: str = "private",
                 thread_id: int | None = None) -> dict[str, Any]:
    """A photo, document (a PDF, or `"image"`: a photo sent as a file), voice or location message;
    with a caption, in an album (`media_group_id`)."""
    body = {
        "photo": {"photo": [{"file_id": f"{file_id}-small", "file_unique_id": f"u{file_id}s", "width": 90, "height": 90},
                            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1280, "height": 960}]},
        "document": {"document": {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": "Testfile.pdf",
                                  "mime_type": "application/pdf", "file_size": 536392}},
        "image": {"document": {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": "IMG_0001.JPG",
                               "mime_type": "image/jpeg", "file_size": 2045311}},
        "voice": {"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 2}},
        "location": {"location": {"latitude": 22.3, "longitude": 114.2}},
    }[kind]
    if caption is not None:
        body["caption"] = caption
    if media_group_id is not None:
        body["media_group_id"] = media_group_id
    return message_update(body, chat_id=chat_id, chat_type=chat_type, update_id=update_id, thread_id=thread_id)


ADMIN_RIGHTS = {"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
                "can_manage_video_chats": False, "can_restrict_members": False, "can_promote_members": False,
                "can_change_info": False, "can_invite_users": True, "can_post_stories": False,
                "can_edit_stories": False, "can_delete_stories": False}


def blocked_update(chat_id: int = 5550001, *, update_id: int | None = None, status: str = "kicked",
                   chat_type: str = "private") -> dict[str, Any]:
    def member(s: str) -> dict[str, Any]:
        extra = {"kicked": {"until_date": 0}, "administrator": ADMIN_RIGHTS}.get(s, {})
        return {"status": s, "user": BOT_USER, **extra}

    old = "left" if status in ("member", "administrator") and chat_type != "private" else "member"
    return {"update_id": _uid(update_id), "my_chat_member": {
        "chat": _chat(chat_id, chat_type), "from": _user(4440001 if chat_type != "private" else chat_id),
        "date": int(time.time()), "old_chat_member": member(old), "new_chat_member": member(status)}}


# -- a corpus of real shapes -------------------------------------------------------------------------
# Service messages, from python-telegram-bot's tests/test_message.py (`message_params`), as JSON:
# what Telegram puts in a group's message when something happens rather than someone writes.
SERVICE_MESSAGES: dict[str, dict[str, Any]] = {
    "new_members": {"new_chat_members": [{"id": 55, "is_bot": False, "first_name": "new_user"}]},
    "bot_added": {"new_chat_members": [BOT_USER]},
    "left_member": {"left_chat_member": {"id": 33, "is_bot": False, "first_name": "kicked"}},
    "new_title": {"new_chat_title": "new title"},
    "new_photo": {"new_chat_photo": [{"file_id": "photo_id", "file_unique_id": "unique_id", "width": 50,
                                      "height": 50}]},
    "delete_photo": {"delete_chat_photo": True},
    "group_created": {"group_chat_created": True},
    "supergroup_created": {"supergroup_chat_created": True},
    "message_auto_delete_timer_changed": {"message_auto_delete_timer_changed": {"message_auto_delete_time": 42}},
    "migrated_to": {"migrate_to_chat_id": -1001234567890},
    "migrated_from": {"migrate_from_chat_id": -54321},
    "pinned": {"pinned_message": {"message_id": 7, "date": 1441645532, "chat": {"id": -54321, "type": "group",
                                                                               "title": "Test group"},
                                  "text": "How much is the registration fee?"}},
    "connected_website": {"connected_website": "http://example.com/"},
    "proximity_alert_triggered": {"proximity_alert_triggered": {
        "traveler": {"id": 1, "is_bot": False, "first_name": "John"},
        "watcher": {"id": 2, "is_bot": False, "first_name": "Doe"}, "distance": 42}},
    "video_chat_scheduled": {"video_chat_scheduled": {"start_date": 1441645532}},
    "video_chat_started": {"video_chat_started": {}},
    "video_chat_ended": {"video_chat_ended": {"duration": 100}},
    "video_chat_participants_invited": {"video_chat_participants_invited": {"users": [
        {"id": 1, "is_bot": False, "first_name": "Rem"}, {"id": 2, "is_bot": False, "first_name": "Emilia"}]}},
    "web_app_data": {"web_app_data": {"data": "some_data", "button_text": "some_button_text"}},
    "forum_topic_created": {"forum_topic_created": {"name": "new_topic", "icon_color": 7322096}},
    "forum_topic_edited": {"forum_topic_edited": {"name": "new_name", "icon_custom_emoji_id": "12345"}},
    "forum_topic_closed": {"forum_topic_closed": {}},
    "forum_topic_reopened": {"forum_topic_reopened": {}},
    "general_forum_topic_hidden": {"general_forum_topic_hidden": {}},
    "general_forum_topic_unhidden": {"general_forum_topic_unhidden": {}},
    "write_access_allowed": {"write_access_allowed": {}},
    "users_shared": {"users_shared": {"request_id": 1, "users": [{"user_id": 2}]}},
    "chat_shared": {"chat_shared": {"request_id": 3, "chat_id": 4}},
    "boost_added": {"boost_added": {"boost_count": 100}},
    "giveaway_created": {"giveaway_created": {}},
    "chat_background_set": {"chat_background_set": {"type": {
        "type": "fill", "fill": {"type": "solid", "color": 0}, "dark_theme_dimming": 0}}},
}

# What a person sends but the bot cannot read, from the same test (answered "I can only read
# text" in a private chat, nothing in a group).
UNREADABLE_MESSAGES: dict[str, dict[str, Any]] = {
    "sticker": {"sticker": {"file_id": "sticker_id", "file_unique_id": "unique_id", "width": 50, "height": 50,
                            "is_animated": True, "is_video": False, "type": "regular"}},
    "video_note": {"video_note": {"file_id": "video_note_id", "file_unique_id": "unique_id", "length": 20,
                                  "duration": 12}},
    "contact": {"contact": {"phone_number": "phone_numner", "first_name": "contact_name"}},
    "dice": {"dice": {"value": 4, "emoji": "🎲"}},
    "poll": {"poll": {"id": "abc", "question": "What is this?", "options": [{"persistent_id": "o1", "text": "a", "voter_count": 1},
             {"persistent_id": "o2", "text": "b", "voter_count": 2}], "total_voter_count": 0, "is_closed": False, "is_anonymous": False,
             "type": "regular", "allows_multiple_answers": True,
             "allows_revoting": False, "members_only": False}},
    "audio": {"audio": {"file_id": "audio_id", "file_unique_id": "unique_id", "duration": 12}},
    "animation": {"animation": {"file_id": "animation_id", "file_unique_id": "unique_id", "width": 30,
                                "height": 30, "duration": 1}},
}


def service_update(name: str, *, chat_id: int = -1001234567, chat_type: str = "supergroup",
                   update_id: int | None = None) -> dict[str, Any]:
    return message_update(SERVICE_MESSAGES[name], chat_id=chat_id, chat_type=chat_type, update_id=update_id)


_FROM = {"id": 1111111, "is_bot": False, "first_name": "Test", "last_name": "Test Lastname", "username": "Test"}
_PRIVATE = {"id": 1111111, "type": "private", "first_name": "Test", "last_name": "Test Lastname", "username": "Test"}

# Telegram's sample updates (core.telegram.org/bots/webhooks, "Testing your bot with updates"),
# with the `type` every chat has had since (the samples predate it) and string callback ids.
WEBHOOK_SAMPLES: dict[str, dict[str, Any]] = {
    "text": {"update_id": 10000, "message": {"date": 1441645532, "chat": _PRIVATE, "message_id": 1365,
                                              "from": _FROM, "text": "/start"}},
    "forwarded": {"update_id": 10000, "message": {
        "date": 1441645532, "chat": _PRIVATE, "message_id": 1365, "from": _FROM, "forward_from": _FROM,
        "forward_date": 1441645550, "text": "/start"}},
    "forwarded_channel": {"update_id": 10000, "message": {
        "date": 1441645532, "chat": _PRIVATE, "message_id": 1365, "from": _FROM,
        "forward_from_chat": {"id": -10000000000, "type": "channel", "title": "Test channel"},
        "forward_date": 1441645550, "text": "/start"}},
    "reply": {"update_id": 10000, "message": {
        "date": 1441645532, "chat": _PRIVATE, "message_id": 1365, "from": _FROM, "text": "/start",
        "reply_to_message": {"date": 1441645000, "chat": _PRIVATE, "message_id": 1334, "text": "Original"}}},
    "entities": {"update_id": 10000, "message": {
        "date": 1441645532, "chat": _PRIVATE, "message_id": 1365, "from": _FROM, "text": "Bold and italics",
        "entities": [{"type": "italic", "offset": 9, "length": 7}, {"type": "bold", "offset": 0, "length": 4}]}},
    "audio": {"update_id": 10000, "message": {
        "date": 1441645532, "chat": _PRIVATE, "message_id": 1365, "from": _FROM,
        "audio": {"file_id": "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", "file_unique_id": "AgADbX", "duration": 243,
                  "mime_type": "audio/mpeg", "file_size": 3897500, "title": "Test music file"}}},
    "voice": {"update_id": 10000, "message": {
        "date": 1441645532, "chat": _PRIVATE, "message_id": 1365, "from": _FROM,
        "voice": {"file_id": "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", "file_unique_id": "AgADbX", "duration": 5,
                  "mime_type": "audio/ogg", "file_size": 23000}}},
    "document": {"update_id": 10000, "message": {
        "date": 1441645532, "chat": _PRIVATE, "message_id": 1365, "from": _FROM,
        "document": {"file_id": "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", "file_unique_id": "AgADbX",
                     "file_name": "Testfile.pdf", "mime_type": "application/pdf", "file_size": 536392}}},
    "edited_message": {"update_id": 10000, "edited_message": {
        "date": 1441645532, "chat": _PRIVATE, "message_id": 1365, "from": _FROM, "text": "Edited text",
        "edit_date": 1441646600}},
    "inline_query": {"update_id": 10000, "inline_query": {
        "id": "134567890097", "from": _FROM, "query": "inline query", "offset": ""}},
    "chosen_inline_result": {"update_id": 10000, "chosen_inline_result": {
        "result_id": "12", "from": _FROM, "query": "inline query", "inline_message_id": "1234csdbsk4839"}},
    "callback_query": {"update_id": 10000, "callback_query": {
        "id": "4382bfdwdsb323b2d9", "from": _FROM, "chat_instance": "-1234", "data": "Data from button callback",
        "inline_message_id": "1234csdbsk4839"}},
}
# What each sample gets: a reply, or none
WEBHOOK_SAMPLE_REPLIES = {"text": True, "forwarded": True, "forwarded_channel": True, "reply": True,
                          "entities": True, "audio": True, "voice": True, "document": True,
                          "edited_message": False, "inline_query": False, "chosen_inline_result": False,
                          "callback_query": False}  # a button on an inline-mode message: not one of ours


def _reaction(kind: str) -> dict[str, Any]:
    return {"type": "emoji", "emoji": "👍"} if kind == "emoji" else {"type": "paid"}


_GROUP = {"id": -1001234567, "type": "supergroup", "title": "Test group"}
_MSG = {"message_id": 42, "date": 1441645532, "chat": _GROUP, "from": _FROM, "text": "hello"}
_CHANNEL_MSG = {"message_id": 42, "date": 1441645532, "chat": {"id": -10000000000, "type": "channel",
                                                                 "title": "Test channel"}, "text": "news"}
_MEMBER = {"status": "member", "user": _FROM}
_BUSINESS_MSG = {**_MSG, "chat": _PRIVATE, "business_connection_id": "bc1"}

# One of every update type of the Bot API other than a new message, a button press and the bot's
# own membership: none gets a reply.
OTHER_UPDATES: dict[str, dict[str, Any]] = {
    "edited_message": {**_MSG, "edit_date": 1441646600},
    "channel_post": _CHANNEL_MSG,
    "edited_channel_post": {**_CHANNEL_MSG, "edit_date": 1441646600},
    "business_connection": {"id": "bc1", "user": _FROM, "user_chat_id": 1111111, "date": 1441645532,
                            "is_enabled": True},
    "business_message": _BUSINESS_MSG,
    "edited_business_message": {**_BUSINESS_MSG, "edit_date": 1441646600},
    "deleted_business_messages": {"business_connection_id": "bc1", "chat": _PRIVATE, "message_ids": [1, 2]},
    "message_reaction": {"chat": _GROUP, "message_id": 42, "user": _FROM, "date": 1441645532,
                         "old_reaction": [], "new_reaction": [_reaction("emoji")]},
    "message_reaction_count": {"chat": _GROUP, "message_id": 42, "date": 1441645532,
                               "reactions": [{"type": _reaction("emoji"), "total_count": 3}]},
    "inline_query": {"id": "1", "from": _FROM, "query": "fee", "offset": ""},
    "chosen_inline_result": {"result_id": "12", "from": _FROM, "query": "fee"},
    "shipping_query": {"id": "1", "from": _FROM, "invoice_payload": "p", "shipping_address": {
        "country_code": "CN", "state": "", "city": "Shenzhen", "street_line1": "1", "street_line2": "",
        "post_code": "518000"}},
    "pre_checkout_query": {"id": "1", "from": _FROM, "currency": "XTR", "total_amount": 1, "invoice_payload": "p"},
    "purchased_paid_media": {"from": _FROM, "paid_media_payload": "p"},
    "poll": {"id": "abc", "question": "What is this?", "options": [{"persistent_id": "o1", "text": "a", "voter_count": 1}],
             "total_voter_count": 1, "is_closed": False, "is_anonymous": True, "type": "regular",
             "allows_multiple_answers": False, "allows_revoting": False, "members_only": False},
    "poll_answer": {"poll_id": "abc", "user": _FROM, "option_ids": [0], "option_persistent_ids": ["o1"]},
    "chat_member": {"chat": _GROUP, "from": _FROM, "date": 1441645532,
                    "old_chat_member": {"status": "left", "user": _FROM}, "new_chat_member": _MEMBER},
    "chat_join_request": {"chat": _GROUP, "from": _FROM, "user_chat_id": 1111111, "date": 1441645532},
    "chat_boost": {"chat": _GROUP, "boost": {"boost_id": "b1", "add_date": 1441645532,
                                             "expiration_date": 1441745532,
                                             "source": {"source": "premium", "user": _FROM}}},
    "removed_chat_boost": {"chat": _GROUP, "boost_id": "b1", "remove_date": 1441645532,
                           "source": {"source": "premium", "user": _FROM}},
}


def other_update(kind: str, *, update_id: int | None = None) -> dict[str, Any]:
    return {"update_id": _uid(update_id), kind: OTHER_UPDATES[kind]}
