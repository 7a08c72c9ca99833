"""What every chat channel is made of: WeChat and Telegram have this one shape.

    integrations/<channel>/
        __init__.py   setup(app): the channel's routes (when its settings are there), and its
                      lifecycle: `serving(...)` below, around whatever else it runs
        receive.py    the platform's request checked and parsed, `to_incoming(...)`, then the
                      inbox (`Inbox.store`, `Inbox.process`); `make_respond` puts the dialogue's
                      replies where they go (a passive reply, outbox rows)
        send.py       the outbox sender (`bot.services.outbox.Sender`): what the outbox worker
                      calls for a row of this channel
        api.py        the platform's API client

The conversion contract (`ToIncoming`): a channel turns what its platform sent into one
channel-neutral `Incoming`, or None for what gets no reply and is not stored (a Telegram service
message). `Incoming.message_id` is the inbox key: what a redelivery of the same message repeats
(WeChat's MsgId, Telegram's update_id) and two different messages never share. Everything the
channel needs again later (a Telegram forum topic, an album) goes in `Incoming.extra`: it is
stored with the message, so recovery after a crash answers the same way. Messages sent as one
share `extra["album"]` and count once against the rate limit (the inbox sees to it).

The lifecycle (`serving`): the sender registered under the channel's name, the `Inbox` built with
the channel's `respond` and its `counted` rule (what counts against the per-contact rate limit),
rows left by a crash recovered at start and then periodically, and at the end the recovery
stopped and the channel's background tasks awaited.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core.config import Config
from bot.core.messages import Incoming
from integrations import appkeys as K
from integrations.inbox import Inbox, Respond, Tasks, recover_forever

if TYPE_CHECKING:  # pragma: no cover
    from bot.services.outbox import Sender

# platform message -> Incoming (its message_id the inbox key), or None: nothing to store or say
ToIncoming = Callable[..., Incoming | None]


@dataclass(kw_only=True)
class Channel:
    """One chat platform plugged into the server; each channel's state extends this."""

    name: str
    config: Config
    inbox: Inbox | None = None
    tasks: Tasks = field(default_factory=Tasks)  # work a request started and did not wait for


@contextlib.asynccontextmanager
async def serving(app: web.Application, channel: Channel, *, sender: Sender, respond: Respond,
                  counted: Callable[[Incoming], bool] | None = None,
                  recover_at_start: timedelta = timedelta(0), recover_every: float = 60.0) -> AsyncIterator[Inbox]:
    """The channel's part of the server's lifecycle (inside its `cleanup_ctx`).
    `recover_at_start`: rows younger than this are left to the process that stored them."""
    runtime = app[K.RUNTIME]
    app[K.SENDERS][channel.name] = sender
    channel.inbox = Inbox(runtime, channel.name, respond, counted=counted,
                          notify=lambda: app[K.OUTBOX].notify() if K.OUTBOX in app else None)
    await channel.inbox.recover(older_than=recover_at_start)
    recovery = asyncio.create_task(recover_forever(channel.inbox, every=recover_every),
                                   name=f"{channel.name}-recovery")
    try:
        yield channel.inbox
    finally:
        recovery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await recovery
        await channel.tasks.drain()
