"""The WeChat outbox sender: customer-service messages (and template messages for reminders).

A customer-service message reaches a user only within 48 hours of their last message; outside
that window the message is `Held` and given with the user's next message (`release_held` in the
inbox). Reminders use the configured template message, which has no window.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.messages import Reply, render_numbered
from bot.core.models import utcnow
from bot.services.contacts import find_contact
from bot.services.outbox import Held, RetryLater, Undeliverable
from integrations.text import split_bytes
from integrations.wechat.api import WeChatAPI, WeChatError

log = logging.getLogger(__name__)

CHANNEL = "wechat"
WINDOW = timedelta(hours=48)
TEXT_LIMIT = 2000  # bytes; WeChat cuts text messages at 2048
HELD_CODES = {45015, 45047}  # out of the reply window; too many messages without a user reply
GONE_CODES = {40003, 43004, 43019, 48001}  # bad OpenID, unsubscribed, blacklisted, API not granted
SLOW_DOWN = {45009: 600.0, 45011: 60.0}  # API quota / frequency limits: seconds to wait


class WeChatSender:
    def __init__(self, api: WeChatAPI, db: Database, secrets: Secrets, *, template_reminder: str | None = None) -> None:
        self.api, self.db, self.secrets, self.template = api, db, secrets, template_reminder

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        template = self.template if kind == "reminder" else None
        if not template:
            await self._check_window(destination)
        try:
            for reply in replies:
                for piece in split_bytes(render_numbered(reply), TEXT_LIMIT):
                    if template:
                        await self.api.send_template(destination, template, {"content": {"value": piece}})
                    else:
                        await self.api.send_text(destination, piece)
        except WeChatError as exc:
            raise self._outcome(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryLater(f"network: {type(exc).__name__}") from exc

    async def _check_window(self, openid: str) -> None:
        async with self.db.session() as s:
            contact = await find_contact(s, self.secrets, CHANNEL, openid)
        last = contact.last_inbound_at if contact else None
        if last is None or last < utcnow() - WINDOW:
            raise Held("outside WeChat's 48-hour customer-service window")

    @staticmethod
    def _outcome(exc: WeChatError) -> Exception:
        if exc.errcode in HELD_CODES:
            return Held(str(exc))
        if exc.errcode in GONE_CODES:
            return Undeliverable(str(exc))
        return RetryLater(str(exc), after=SLOW_DOWN.get(exc.errcode))
