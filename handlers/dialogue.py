"""The channel-neutral dialogue: one `Incoming` in, a list of `Reply` out.

Routing, in order: platform events; a choice the user picked (button, digit or label); a
command (`/status`, "我的状态", …); the active flow (helpline, report, binding …); a matcher
(a case reference on its own); else the FAQ. State is a database row per contact, written in
the caller's transaction, so any process can carry on any conversation.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import messages as m
from bot.core.crypto import DecryptError
from bot.core.messages import Incoming, Reply
from bot.services.contacts import conversation_of, get_or_create_contact, set_last_inbound
from handlers import cases, command_table, core, faq, status
from handlers.context import Context, Input, Services
from handlers.registry import (
    COMMANDS,
    FLOW_EXPIRED_TEXT,
    FLOWS,
    MATCHERS,
    Command,
    check_table,
    parse_action,
    parse_command,
)
from knowledge.text import detect_lang

log = logging.getLogger(__name__)

# The features of the dialogue: each registers its commands, flows and matchers when imported.
FEATURES = (core, faq, status, cases)

MAX_TEXT = 4000
# kinds whose text is a caption (Telegram: a photo's, a document's)
CAPTIONED = (m.IMAGE, m.OTHER)
# commands that leave an active flow as it is
KEEPS_FLOW = {"help", "lang"}
# WeChat custom-menu EventKeys → commands (CONTRACT; handlers/commands.toml)
MENU_KEYS = command_table.table().by_wechat_key()


def load_features() -> None:
    """The features registered their commands and flows when imported above; check the table."""
    check_table()


class Dialogue:
    def __init__(self, services: Services) -> None:
        load_features()
        self.services = services

    async def handle(self, session: AsyncSession, incoming: Incoming) -> list[Reply]:
        """Run one message through the dialogue inside the caller's transaction."""
        services = self.services
        contact = await get_or_create_contact(session, services.secrets, incoming.channel, incoming.contact)
        set_last_inbound(session, contact, incoming.received_at)
        conv = await conversation_of(session, contact)
        text = incoming.text or ""
        # a button press or a command carries no language of its own (a caption does)
        typed = incoming.kind in (m.TEXT, m.VOICE, *CAPTIONED) and not text.startswith("/")
        lang = contact.lang or (detect_lang(text) if typed else "en")
        ctx = Context(session, services, contact, conv, incoming, lang)
        try:
            ctx.load_state()
        except DecryptError:
            log.warning("conversation state unreadable; reset", extra={"kind": "state_reset"})
            ctx.end_flow()

        replies: list[Reply] = []
        if ctx.flow and ctx.expires_at is not None and ctx.expires_at < ctx.now:
            expired_text = FLOW_EXPIRED_TEXT.get(ctx.flow)
            ctx.end_flow()
            if expired_text:
                replies.append(ctx.reply(expired_text))
        replies += await self._route(ctx, incoming)

        ctx.save_state()
        offered = [c for r in replies for c in r.choices]
        ctx.offer(offered)
        return replies

    # -- routing -----------------------------------------------------------------------------
    async def _route(self, ctx: Context, incoming: Incoming) -> list[Reply]:
        kind, text = incoming.kind, (incoming.text or "").strip()
        if kind == m.EVENT:
            return await self._event(ctx, incoming)
        if kind == m.VOICE:
            if not text:
                return [ctx.reply("voice_unrecognised")]
            kind = m.TEXT
        if kind in CAPTIONED and text and not ctx.flow:
            kind = m.TEXT  # a photo's or file's caption is read like a text (a flow keeps both)
        if kind in (m.IMAGE, m.LOCATION, m.LINK, m.OTHER):
            if ctx.flow:
                return await FLOWS[ctx.flow](ctx, Input(text, None, incoming))
            key = {m.LOCATION: "location_received", m.LINK: "link_received"}.get(kind, "unsupported_kind")
            return [ctx.reply(key)]

        if kind == m.CHOICE:  # a button: one offered last (by its id or digest), or an action; else stale or forged
            choice = ctx.offered_choice(text) or (text if parse_action(text) else None)
            text = choice or text
        else:
            choice = self._typed_choice(ctx, text)
        if not text and not choice:
            return [ctx.reply("empty")]
        notes: list[Reply] = []
        if len(text) > MAX_TEXT and kind != m.CHOICE:
            text = text[:MAX_TEXT]
            notes.append(ctx.reply("too_long", limit=MAX_TEXT))

        # a choice offered by the active flow belongs to it
        if ctx.flow and choice and choice.startswith(ctx.flow + ":"):
            return notes + await FLOWS[ctx.flow](ctx, Input(text, choice, incoming))

        found = parse_action(choice) if choice else parse_command(text)
        if found is None and ctx.flow is None:
            for matcher in MATCHERS:
                found = matcher(text)
                if found:
                    break
        if found is not None:
            return notes + await self._run(ctx, *found)
        if ctx.flow:
            return notes + await FLOWS[ctx.flow](ctx, Input(text, choice, incoming))
        return notes + await COMMANDS["faq"].handler(ctx, text)

    async def _run(self, ctx: Context, cmd: Command, arg: str) -> list[Reply]:
        if ctx.flow and cmd.name not in KEEPS_FLOW:
            ctx.left_flow = ctx.flow
            ctx.end_flow()  # leaving a flow deletes its draft
        return await cmd.handler(ctx, arg)

    async def _event(self, ctx: Context, incoming: Incoming) -> list[Reply]:
        event = (incoming.event or "").lower()
        if event == "subscribe":
            ctx.contact.subscribed = True
            return await self._run(ctx, COMMANDS["start"], (incoming.extra.get("event_key") or "").removeprefix("qrscene_"))
        if event == "unsubscribe":
            ctx.contact.subscribed = False
            return []
        if event == "click":
            name = MENU_KEYS.get((incoming.extra.get("event_key") or "").upper())
            if name and name in COMMANDS:
                return await self._run(ctx, COMMANDS[name], "")
            return await self._run(ctx, COMMANDS["menu"], "")
        return []

    @staticmethod
    def _typed_choice(ctx: Context, text: str) -> str | None:
        """A digit or a label typed in answer to the choices offered last."""
        offered = ctx.offered()
        if not offered or not text:
            return None
        if re.fullmatch(r"\d{1,2}", text):
            n = int(text)
            return offered[n - 1].id if 1 <= n <= len(offered) else None
        norm = text.casefold()
        for c in offered:
            if c.label.casefold() == norm:
                return c.id
        return None
