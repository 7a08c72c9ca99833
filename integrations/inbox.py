"""Exactly-once handling of inbound platform messages, shared by the WeChat and Telegram adapters.

1. `store`: the message is written (unique per channel and message key) before the platform
   gets its answer; a redelivery finds the row already there. Its text is kept only as far as
   the dialogue reads it. A channel's `guard` runs first in the same transaction and may refuse
   the request (WeChat: a signature already used for another message).
2. `process`: one transaction marks the row done, runs the dialogue, and lets the channel put
   the replies where they go (cached passive reply, outbox rows). The status change is the
   first write, so it takes the row lock (PostgreSQL) or the write lock (SQLite): a concurrent
   redelivery waits for the first transaction and then sees `done`; the dialogue never runs
   twice. A crash rolls everything back and the row stays `received`.
3. `recover`: rows left `received` (a crash, or a process that stopped) are processed at start
   and then periodically, their replies queued in the outbox.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from bot.core.dialect import insert_ignore_returning
from bot.core.messages import Incoming, Reply
from bot.core.models import Contact, UTCDateTime, utcnow
from bot.core.models import messaging as st
from bot.core.models.messaging import InboxMessage
from bot.core.texts import t
from bot.services import throttle
from bot.services.contacts import contact_key, find_contact
from bot.services.outbox import release_held
from bot.services.throttle import RateLimit, Verdict
from handlers.dialogue import MAX_TEXT
from knowledge.text import detect_lang

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


# What is stored of a text: what the dialogue reads and one character more, so that it still
# knows the text was longer (and says so); the rest is never kept.
STORED_TEXT = MAX_TEXT + 1
GATE_WIDTH = 2  # transactions of one channel at a time in one process (PostgreSQL)
MAX_ATTEMPTS = 3  # a message the dialogue fails on this often is set aside (status failed)
ALBUM_WINDOW = timedelta(hours=1)  # an album's messages arrive within seconds; counted once in this window

# The hot path's statements, built once as Core statements on the table: an ORM-enabled UPDATE
# costs about three times the CPU of a prebuilt Core one (ORM bulk-update machinery, cache key).
_INBOX = InboxMessage.__table__
CLAIM = (update(_INBOX).where(_INBOX.c.id == bindparam("row"), _INBOX.c.status == st.RECEIVED)
         .values(status=st.DONE, processed_at=bindparam("now", type_=UTCDateTime()), attempts=_INBOX.c.attempts + 1)
         .returning(_INBOX.c.payload_enc, _INBOX.c.kind))
RECORD_REPLY = (update(_INBOX).where(_INBOX.c.id == bindparam("row"))
                .values(reply_via=bindparam("via"), reply_enc=bindparam("enc")))


@dataclass
class Delivery:
    """What a channel's `respond` decides inside the processing transaction."""

    via: str  # st.PASSIVE or st.OUTBOX
    cached: Any = None  # JSON-able; stored encrypted and returned to redeliveries (WeChat)
    queued: int = 0  # outbox rows written


# respond(session, contact, replies, inbox_id, passive_allowed, incoming) -> Delivery; `incoming` is
# the stored message (Telegram answers in its forum topic, and an album once)
Respond = Callable[[AsyncSession, Contact, list[Reply], int, bool, Incoming], Awaitable[Delivery]]
# guard(session): raises to refuse the message before it is stored (the transaction rolls back)
Guard = Callable[[AsyncSession], Awaitable[None]]


@dataclass
class Result:
    inbox_id: int
    ran: bool  # this call ran the dialogue (False: a duplicate, or it failed)
    failed: bool = False
    via: str | None = None
    cached: Any = None
    replies: list[Reply] = field(default_factory=list)
    kind: str = ""


def encode_incoming(incoming: Incoming) -> dict[str, Any]:
    return {"channel": incoming.channel, "contact": incoming.contact, "message_id": incoming.message_id,
            "kind": incoming.kind, "text": (incoming.text or "")[:STORED_TEXT],
            "received_at": incoming.received_at.isoformat(),
            "private": incoming.private, "event": incoming.event, "extra": incoming.extra,
            "media_later": incoming.media_later}


def decode_incoming(data: dict[str, Any]) -> Incoming:
    return Incoming(**{**data, "received_at": datetime.fromisoformat(data["received_at"])})


class Inbox:
    def __init__(self, runtime: Runtime, channel: str, respond: Respond, *,
                 rate_limit: RateLimit | None = None, notify: Callable[[], None] | None = None,
                 counted: Callable[[Incoming], bool] | None = None) -> None:
        self.runtime, self.channel, self.respond = runtime, channel, respond
        self.rate_limit = rate_limit or RateLimit()
        # which messages count against the per-contact rate limit (default: all); the channel
        # leaves out what the dialogue never answers (WeChat's location reports, menu links …)
        self.counted = counted or (lambda incoming: True)
        self.notify = notify or (lambda: None)
        self.secrets = runtime.services.secrets
        # Under load, transactions queue here in arrival order instead of all running at once:
        # SQLite has one writer at a time and its busy handler backs off by sleeping (up to 100 ms a
        # try); on PostgreSQL, dozens of interleaved transactions on one CPU finish late together
        # (the oldest messages miss WeChat's deadline) and wait for pool connections unfairly.
        self._gate = asyncio.Semaphore(1 if runtime.db.dialect == "sqlite" else GATE_WIDTH)

    def log_id(self, incoming: Incoming) -> str:
        return self.secrets.log_id(contact_key(incoming.channel, incoming.contact))

    async def store(self, message_key: str, incoming: Incoming, *, guard: Guard | None = None) -> tuple[int, bool]:
        """Write the message unless it is already there: (row id, newly stored). What `guard`
        raises comes out of here, nothing stored."""
        key_hash = self.secrets.lookup_hash(f"inbox:{self.channel}:{message_key}")
        async with self._gate, self.runtime.db.session() as s:
            if guard is not None:
                await guard(s)
            row_id = await insert_ignore_returning(s, InboxMessage.__table__, {
                "channel": self.channel, "key_hash": key_hash, "kind": incoming.kind,
                "payload_enc": self.secrets.encrypt_json(encode_incoming(incoming)),
                "status": st.RECEIVED, "attempts": 0, "received_at": utcnow(),
            }, ["channel", "key_hash"], InboxMessage.id)
            inserted = row_id is not None
            if not inserted:
                row_id = (await s.execute(select(InboxMessage.id).where(
                    InboxMessage.channel == self.channel, InboxMessage.key_hash == key_hash))).scalar_one()
        if inserted:
            metrics.MESSAGES_IN.labels(self.channel, incoming.kind).inc()
        log.info("inbound message", extra={"channel": self.channel, "kind": incoming.kind,
                                            "contact": self.log_id(incoming), "duplicate": not inserted})
        return row_id, inserted

    async def process(self, inbox_id: int, *, passive_until: float | None = None) -> Result:
        """Run the dialogue on a stored message exactly once. `passive_until` (event-loop time):
        until then the channel may answer in the HTTP response; later, replies go to the outbox."""
        try:
            result = await self._process(inbox_id, passive_until)
        except Exception:
            log.exception("processing an inbound message failed", extra={"channel": self.channel})
            return await self._failed(inbox_id)
        return result

    async def _process(self, inbox_id: int, passive_until: float | None) -> Result:
        now = utcnow()
        async with self._gate, self.runtime.db.session() as s:
            # the claim is the first write: it takes the row (PostgreSQL) or database (SQLite) lock
            claimed = (await s.execute(CLAIM, {"row": inbox_id, "now": now})).first()
            if claimed is None:
                return await self._already(s, inbox_id)
            payload_enc, kind = claimed
            incoming = decode_incoming(self.secrets.decrypt_json(payload_enc))
            replies = await self._dialogue(s, incoming, now)
            contact = await find_contact(s, self.secrets, incoming.channel, incoming.contact)  # the dialogue's
            if contact is None:  # rate-limited before the dialogue ever created it
                return Result(inbox_id, ran=True, via=None, kind=kind)
            await release_held(s, contact.id)
            passive = passive_until is not None and asyncio.get_running_loop().time() < passive_until
            delivery = await self.respond(s, contact, replies, inbox_id, passive, incoming)
            await s.execute(RECORD_REPLY, {"row": inbox_id, "via": delivery.via, "enc": (
                self.secrets.encrypt_json(delivery.cached) if delivery.cached is not None else None)})
        if delivery.queued:
            self.notify()
        return Result(inbox_id, ran=True, via=delivery.via, cached=delivery.cached, replies=replies, kind=kind)

    async def _already(self, s: AsyncSession, inbox_id: int) -> Result:
        """A redelivery: what the first delivery decided (it has committed: we waited for its lock)."""
        row = (await s.execute(select(InboxMessage).where(InboxMessage.id == inbox_id))).scalar_one()
        cached = self.secrets.decrypt_json(row.reply_enc) if row.reply_enc else None
        return Result(inbox_id, ran=False, failed=row.status == st.FAILED, via=row.reply_via, cached=cached,
                      kind=row.kind)

    async def _dialogue(self, s: AsyncSession, incoming: Incoming, now: datetime) -> list[Reply]:
        if not self.counted(incoming) or await self._album_counted(s, incoming, now):
            return await self.runtime.dialogue.handle(s, incoming)
        verdict = await self.rate_limit.check(s, self.secrets, contact_key(incoming.channel, incoming.contact), now)
        if verdict is Verdict.ALLOW:
            return await self.runtime.dialogue.handle(s, incoming)
        log.info("rate limited", extra={"channel": self.channel, "contact": self.log_id(incoming),
                                         "verdict": verdict.value})
        if verdict is Verdict.DROP:
            return []
        contact = await find_contact(s, self.secrets, incoming.channel, incoming.contact)
        lang = (contact.lang if contact else None) or detect_lang(incoming.text or "")
        return [Reply(t("rate_limited", lang))]

    async def _album_counted(self, s: AsyncSession, incoming: Incoming, now: datetime) -> bool:
        """Messages sent as one (`extra["album"]`, a Telegram album) count once against the rate
        limit: the first of them to be processed, in any process."""
        album = incoming.extra.get("album")
        if not album:
            return False
        key = f"album:{contact_key(incoming.channel, incoming.contact)}:{album}"
        return await throttle.count(s, self.secrets, key, ALBUM_WINDOW, now) > 1

    async def _failed(self, inbox_id: int) -> Result:
        try:
            async with self.runtime.db.session() as s:
                row = await s.get(InboxMessage, inbox_id)
                row.attempts += 1
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = st.FAILED
        except Exception:
            log.exception("recording a failed inbound message failed", extra={"channel": self.channel})
        return Result(inbox_id, ran=False, failed=True)

    async def recover(self, older_than: timedelta = timedelta(seconds=0)) -> int:
        """Process rows of this channel left `received`; their replies go to the outbox."""
        cutoff = utcnow() - older_than
        async with self.runtime.db.session() as s:
            ids = (await s.execute(
                select(InboxMessage.id).where(InboxMessage.channel == self.channel,
                                              InboxMessage.status == st.RECEIVED,
                                              InboxMessage.received_at <= cutoff)
                .order_by(InboxMessage.id).limit(500)
                .with_for_update(skip_locked=True)  # PostgreSQL: not rows a live process is processing now
            )).scalars().all()
        done = 0
        for inbox_id in ids:
            result = await self.process(inbox_id, passive_until=None)
            done += result.ran
        if ids:
            log.info("recovered inbound messages", extra={"channel": self.channel, "count": done})
        return done


class Tasks:
    """Background work a request started but does not wait for (a slow WeChat answer); awaited
    at shutdown so a stopping server finishes what it began."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro: Awaitable[Any], name: str | None = None) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: float = 10.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


async def recover_forever(inbox: Inbox, every: float = 60.0) -> None:
    """Rows another process left behind (it crashed) are picked up after a while."""
    while True:
        await asyncio.sleep(every)
        try:
            await inbox.recover(older_than=timedelta(seconds=every))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("inbox recovery failed", extra={"channel": inbox.channel})
