"""Helpers for the channel tests (the fakes and `serve` come from tests/fakes/fixtures.py)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot import appkeys as K
from bot.models import OutboxMessage
from bot.models.messaging import InboxMessage


def runtime_of(client):  # noqa: ANN001, ANN201
    return client.app[K.RUNTIME]


class DialogueSpy:
    """Counts the dialogue's runs (and can slow it down) in a running app."""

    def __init__(self, runtime, delay: float = 0.0) -> None:  # noqa: ANN001
        self.runtime, self.delay, self.runs = runtime, delay, 0
        self.incoming: list[Any] = []
        self._handle = runtime.dialogue.handle
        self.replace_with = None
        runtime.dialogue.handle = self.handle

    async def handle(self, session, incoming):  # noqa: ANN001, ANN201
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


    async def _offer(self, session, incoming, replies) -> None:  # noqa: ANN001
        import json

        from bot.contacts import find_contact
        from bot.models import Conversation

        contact = await find_contact(session, self.runtime.services.secrets, incoming.channel, incoming.contact)
        conv = await session.get(Conversation, contact.id)
        offered = [[c.id, c.label] for r in replies for c in r.choices]
        conv.choices_json = json.dumps(offered) if offered else None


@pytest.fixture
def spy():  # noqa: ANN201
    return DialogueSpy


async def count(runtime, model=InboxMessage, *where) -> int:  # noqa: ANN001
    async with runtime.db.session() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def outbox_rows(runtime) -> list[OutboxMessage]:  # noqa: ANN001
    async with runtime.db.session() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
