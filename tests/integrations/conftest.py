"""Helpers for the channel tests (the fakes and `serve` come from tests/fakes/fixtures.py)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.models import OutboxMessage
from bot.core.models import outbox as st
from bot.core.models.messaging import InboxMessage
from integrations import appkeys as K


def runtime_of(client):
    return client.app[K.RUNTIME]


class DialogueSpy:
    """Counts the dialogue's runs (and can slow it down) in a running app."""

    def __init__(self, runtime, delay: float = 0.0) -> None:
        self.runtime, self.delay, self.runs = runtime, delay, 0
        self.incoming: list[Any] = []
        self._handle = runtime.dialogue.handle
        self.replace_with = None
        runtime.dialogue.handle = self.handle

    async def handle(self, session, incoming):
        import asyncio

        self.runs += 1
        self.incoming.append(incoming)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.replace_with is not None:
            # state as usual, replies as the test wants (and offered, as the dialogue records them)
            await self._handle(session, incoming)
            await self._offer(session, incoming, self.replace_with)
            return list(self.replace_with)
        return await self._handle(session, incoming)


    async def _offer(self, session, incoming, replies) -> None:
        import json

        from bot.core.models import Conversation
        from bot.services.contacts import find_contact

        contact = await find_contact(session, self.runtime.services.secrets, incoming.channel, incoming.contact)
        conv = await session.get(Conversation, contact.id)
        offered = [[c.id, c.label] for r in replies for c in r.choices]
        conv.choices_json = json.dumps(offered) if offered else None


@pytest.fixture
def spy():
    return DialogueSpy


async def count(runtime, model=InboxMessage, *where) -> int:
    async with runtime.db.session() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def outbox_rows(runtime) -> list[OutboxMessage]:
    async with runtime.db.session() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def settled(client, timeout: float = 10.0) -> None:
    """Wait until the outbox has no message left to send (replies go out in the background; the
    photos of these updates are not on the fake Telegram, so their fetch jobs wait for a retry)."""
    runtime, loop = runtime_of(client), asyncio.get_running_loop()
    end = loop.time() + timeout
    while await count(runtime, OutboxMessage, OutboxMessage.status.in_([st.PENDING, st.SENDING]),
                      OutboxMessage.kind != "evidence"):
        assert loop.time() < end, "outbox not drained"
        await asyncio.sleep(0.02)


def no_errors(caplog) -> None:
    """No error logged (checked before the server stops: that is the requests' doing)."""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
