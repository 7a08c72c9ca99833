"""Exactly-once handling of inbound platform messages, shared by the WeChat and Telegram adapters.

1. `store`: the message is written (unique per channel and message key) before the platform
   gets its answer; a redelivery finds the row already there. Its text is kept only as far as
   the dialogue reads it. A channel's `guard` (`Once`: WeChat's signature, accepted for one
   message only) is checked in the same transaction and may refuse the request (`Refused`).
2. `process`: one transaction marks the row done, runs the dialogue, and lets the channel put
   the replies where they go (cached passive reply, outbox rows). The status change is the
   first write, so it takes the row lock (PostgreSQL) or the write lock (SQLite): a concurrent
   redelivery waits for the first transaction and then sees `done`; the dialogue never runs
   twice. A crash rolls everything back and the row stays `received`.
3. `recover`: rows left `received` (a crash, or a process that stopped) are processed at start
   and then periodically, their replies queued in the outbox.

Both go to the database by group commit (`bot.core.batch`): the stores of concurrent requests
are one transaction (one set-based INSERT per table), and so are their processings (one claim
by primary key for the batch, each message's dialogue in a savepoint of its own, one statement
recording the replies). Each caller waits for its batch's commit before it answers: a batch
that fails (twice) fails only its own callers, who give the platform no 200, and it retries.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from bot.core.batch import GroupCommit
from bot.core.dialect import any_of, insert_ignore_many, update_many
from bot.core.messages import Incoming, Reply
from bot.core.models import Contact, UTCDateTime, utcnow
from bot.core.models import messaging as st
from bot.core.models.messaging import InboxMessage, SeenSignature
from bot.core.texts import t
from bot.services import throttle
from bot.services.contacts import (
    contact_key,
    defer_contact_writes,
    find_contact,
    inbound_hour,
    prefetch_contacts,
    write_contact_writes,
)
from bot.services.outbox import release_held_many
from bot.services.questions import defer_question_inserts, insert_questions
from bot.services.throttle import RateLimit, Verdict
from handlers.dialogue import MAX_TEXT
from knowledge.text import detect_lang

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


# What is stored of a text: what the dialogue reads and one character more, so that it still
# knows the text was longer (and says so); the rest is never kept.
STORED_TEXT = MAX_TEXT + 1
MAX_ATTEMPTS = 3  # a message the dialogue fails on this often is set aside (status failed)
ALBUM_WINDOW = timedelta(hours=1)  # an album's messages arrive within seconds; counted once in this window
STORE_BATCH = 128  # rows of one store transaction at most
PROCESS_BATCH = 32  # messages of one processing transaction at most (each runs the dialogue)
BATCH_DELAY = 0.001  # seconds a batch waits for concurrent requests to join it
# (a processing batch only while more keep coming: its callers are the requests a store batch's
# commit woke, all there within two turns of the event loop; on SQLite's one writer it first waits
# for a store batch on its way, whose requests then join it: two groups of requests in flight
# would otherwise each take their own pair of transactions, and keep to it, at twice the CPU a
# message: measured 0.64 ms at 29 rows a commit and 0.82-1.09 at 17, benchmarks/webhook_load.py)
# batches of one kind in flight at once in one process: PostgreSQL builds the next while one waits
# for the database; SQLite has one writer
GATE_WIDTH = 2
# ... the second only once this many requests wait for it: a process with few requests in flight
# makes one fuller transaction at a time (measured: two processes over PostgreSQL at c=32 went
# from 0.73x to 1.2x one process with it; benchmarks/webhook_load.py)
GATE_SPILL = 8

# The hot path's statements, built once as Core statements on the table: an ORM-enabled UPDATE
# costs about three times the CPU of a prebuilt Core one (ORM bulk-update machinery, cache key).
_INBOX = InboxMessage.__table__
_SEEN = SeenSignature.__table__
# processed: the payload is wiped (what the person wrote is in the case, sealed, or nowhere); the
# passive reply is kept for WeChat's retries (the batch's `update_many` of its rows), and wiped by
# the retention job a minute later (`forget_passive_replies`)
WIPE_PAYLOAD = update(_INBOX).where(_INBOX.c.id == bindparam("row")).values(payload_enc="")
# the dialogue failed on it: back to `received` for another try, or set aside
UNCLAIM = (update(_INBOX).where(_INBOX.c.id == bindparam("row"))
           .values(status=case((_INBOX.c.attempts >= MAX_ATTEMPTS, st.FAILED), else_=st.RECEIVED)))


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """Per dialect (a list parameter is an array on PostgreSQL): claim by primary key, read
    what an earlier delivery decided, find rows already stored."""
    return {
        "claim": (update(_INBOX).where(any_of(_INBOX.c.id, "ids", dialect), _INBOX.c.status == st.RECEIVED)
                  .values(status=st.DONE, processed_at=bindparam("now", type_=UTCDateTime()),
                          attempts=_INBOX.c.attempts + 1)
                  .returning(_INBOX.c.id, _INBOX.c.payload_enc, _INBOX.c.kind)),
        "decided": select(_INBOX.c.id, _INBOX.c.status, _INBOX.c.reply_via, _INBOX.c.reply_enc, _INBOX.c.kind)
        .where(any_of(_INBOX.c.id, "ids", dialect)),
        "stored": select(_INBOX.c.id, _INBOX.c.key_hash)
        .where(_INBOX.c.channel == bindparam("channel"), any_of(_INBOX.c.key_hash, "hashes", dialect)),
        "bound": select(_SEEN.c.pair_hash, _SEEN.c.message_hash).where(any_of(_SEEN.c.pair_hash, "pairs", dialect)),
    }


class _DialogueFailed(Exception):
    """A dialogue raised in a batch run without savepoints: run it again with them."""


class Refused(Exception):
    """The request's `Once` token was used for another message: nothing stored."""


@dataclass(frozen=True)
class Once:
    """A token accepted once (WeChat: the request's signed timestamp and nonce, as a keyed hash),
    bound to the message it first came with: again with the same message (the platform's retry
    repeats it) it passes; with another message the request is refused. Shared by processes
    (`seen_signatures`)."""

    token_hash: str
    message_hash: str



@dataclass
class Delivery:
    """What a channel's `respond` decides inside the processing transaction."""

    via: str  # st.PASSIVE or st.OUTBOX
    cached: Any = None  # JSON-able; stored encrypted and returned to redeliveries (WeChat)
    queued: int = 0  # outbox rows written


# respond(session, contact, replies, inbox_id, passive_allowed, incoming) -> Delivery; `incoming` is
# the stored message (Telegram answers in its forum topic, and an album once)
Respond = Callable[[AsyncSession, Contact, list[Reply], int, bool, Incoming], Awaitable[Delivery]]


@dataclass
class Result:
    inbox_id: int
    ran: bool  # this call ran the dialogue (False: a duplicate, or it failed)
    failed: bool = False
    via: str | None = None
    cached: Any = None
    replies: list[Reply] = field(default_factory=list)
    kind: str = ""


@dataclass
class _Store:
    key_hash: str
    kind: str
    payload_enc: str
    once: Once | None


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
        width = 1 if runtime.db.dialect == "sqlite" else GATE_WIDTH
        self._stores = GroupCommit(self._store_batch, max_items=STORE_BATCH, delay=BATCH_DELAY, width=width,
                                   spill=GATE_SPILL, name=f"{channel}-store")
        self._processes = GroupCommit(self._process_batch, max_items=PROCESS_BATCH, delay=BATCH_DELAY, width=width,
                                      spill=GATE_SPILL, settle=True, feeder=self._stores if width == 1 else None,
                                      name=f"{channel}-process")

    def log_id(self, incoming: Incoming) -> str:
        return self.secrets.log_id(contact_key(incoming.channel, incoming.contact))

    # -- store ------------------------------------------------------------------------------------
    async def store(self, message_key: str, incoming: Incoming, *, guard: Once | None = None) -> tuple[int, bool]:
        """Write the message unless it is already there: (row id, newly stored), once its batch
        has committed. `Refused` when `guard`'s token was used for another message (nothing
        stored); a failed batch raises its error (nothing of this request stored)."""
        item = _Store(self.secrets.lookup_hash(f"inbox:{self.channel}:{message_key}"), incoming.kind,
                      self.secrets.encrypt_json(encode_incoming(incoming)), guard)
        row_id, inserted = await self._stores.submit(item)
        if inserted:
            metrics.MESSAGES_IN.labels(self.channel, incoming.kind).inc()
        # a line per message only at DEBUG (the count is etp_messages_in_total): at INFO a log of
        # every message's time and sender would be a traffic record of each reporter
        level = logging.DEBUG if inserted else logging.INFO
        if log.isEnabledFor(level):
            log.log(level, "inbound message" if inserted else "inbound message again (a redelivery)",
                    extra={"channel": self.channel, "kind": incoming.kind, "contact": self.log_id(incoming),
                           "duplicate": not inserted})
        return row_id, inserted

    async def _store_batch(self, items: list[_Store]) -> list[tuple[int, bool] | BaseException]:
        now = utcnow()
        outcomes: list[tuple[int, bool] | BaseException | None] = [None] * len(items)
        async with self.runtime.db.writer.transaction() as s:
            statements = _statements(s.bind.dialect.name)
            for i in await self._refused(s, statements, items, now):
                outcomes[i] = Refused("token already used for another message")
            first: dict[str, int] = {}  # key hash -> the first request of the batch with it
            for i, item in enumerate(items):
                if outcomes[i] is None:
                    first.setdefault(item.key_hash, i)
            rows = [{"channel": self.channel, "key_hash": h, "kind": items[i].kind,
                     "payload_enc": items[i].payload_enc, "status": st.RECEIVED, "attempts": 0, "received_at": now}
                    for h, i in sorted(first.items())]
            inserted = {h: row_id for row_id, h in await insert_ignore_many(
                s, _INBOX, rows, ["channel", "key_hash"], ["id", "key_hash"])}
            ids = dict(inserted)
            earlier = [h for h in first if h not in inserted]
            if earlier:
                ids.update({h: row_id for row_id, h in await s.execute(
                    statements["stored"], {"channel": self.channel, "hashes": earlier})})
        for i, item in enumerate(items):
            if outcomes[i] is None:
                outcomes[i] = (ids[item.key_hash], item.key_hash in inserted and first[item.key_hash] == i)
        return outcomes  # type: ignore[return-value]

    @staticmethod
    async def _refused(s: AsyncSession, statements: dict[str, Any], items: list[_Store], now: datetime) -> list[int]:
        """The requests whose `Once` token is bound to another message (a token new in this batch
        is bound to the message of its first request)."""
        bound: dict[str, str] = {}
        for item in items:
            if item.once is not None:
                bound.setdefault(item.once.token_hash, item.once.message_hash)
        if not bound:
            return []
        new = {h for (h,) in await insert_ignore_many(
            s, _SEEN, [{"pair_hash": h, "message_hash": m, "seen_at": now} for h, m in sorted(bound.items())],
            ["pair_hash"], ["pair_hash"])}
        seen = [h for h in bound if h not in new]
        if seen:
            bound.update(dict((await s.execute(statements["bound"], {"pairs": seen})).all()))
        return [i for i, item in enumerate(items)
                if item.once is not None and bound.get(item.once.token_hash) != item.once.message_hash]

    # -- process ----------------------------------------------------------------------------------
    async def process(self, inbox_id: int, *, passive_until: float | None = None) -> Result:
        """Run the dialogue on a stored message exactly once. `passive_until` (event-loop time):
        until then the channel may answer in the HTTP response; later, replies go to the outbox."""
        try:
            return await self._processes.submit((inbox_id, passive_until))
        except Exception:
            log.exception("processing an inbound message failed", extra={"channel": self.channel})
            return await self._failed(inbox_id)

    async def _process_batch(self, items: list[tuple[int, float | None]]) -> list[Result]:
        # first without a savepoint per message (the ORM flushes the batch's changes together);
        # when a dialogue fails, the batch is rolled back and run again with each message in a
        # savepoint of its own, so the failure is that message's alone
        if len(items) > 1:
            try:
                return await self._process_batch_once(items, isolated=False)
            except _DialogueFailed:
                pass
        return await self._process_batch_once(items, isolated=True)

    async def _process_batch_once(self, items: list[tuple[int, float | None]], *, isolated: bool) -> list[Result]:
        now = utcnow()
        passive_until: dict[int, float | None] = {}
        for inbox_id, until in items:
            passive_until.setdefault(inbox_id, until)
        results: dict[int, Result] = {}
        queued = False
        async with self.runtime.db.writer.transaction() as s:
            statements = _statements(s.bind.dialect.name)
            # the claim is the first write: it takes the rows' (PostgreSQL) or the database's
            # (SQLite) lock; a row another transaction holds is waited for, then found done
            claimed = {row_id: (payload_enc, kind) for row_id, payload_enc, kind in await s.execute(
                statements["claim"], {"ids": sorted(passive_until), "now": now})}
            records, failed, contacts, uncounted = [], [], [], []
            incoming: dict[int, Incoming] = {}
            for row_id, (payload_enc, _kind) in claimed.items():
                try:
                    incoming[row_id] = decode_incoming(self.secrets.decrypt_json(payload_enc))
                except Exception:  # unreadable (stored under a key no longer configured): this row's failure
                    log.exception("an inbound message cannot be read", extra={"channel": self.channel})
                    failed.append({"row": row_id})
                    results[row_id] = Result(row_id, ran=False, failed=True)
            # contacts in one order in every process (their rows are locked in it), each
            # contact's messages in the order they came
            order = sorted(incoming, key=lambda row_id: (incoming[row_id].contact, row_id))
            verdicts = await self._verdicts(s, [incoming[row_id] for row_id in order], now)
            # the senders' contacts and conversations, and the contacts the dialogues will make
            # (a message the rate limit stops makes none); made in advance only when the batch
            # stands or falls as one: a message failing in its savepoint leaves no contact
            loaded = await prefetch_contacts(  # noqa: F841 (held for the batch)
                s, self.secrets, self.channel, [incoming[row_id].contact for row_id in order],
                create=None if isolated else _first_hours(
                    incoming[row_id] for row_id in order
                    if verdicts.get(id(incoming[row_id]), Verdict.ALLOW) is Verdict.ALLOW))
            if not isolated:
                defer_contact_writes(s)
                defer_question_inserts(s)
            for row_id in order:
                run = functools.partial(self._run, s, row_id, incoming[row_id], claimed[row_id][1],
                                        passive_until[row_id], verdicts)
                try:
                    if isolated:
                        async with s.begin_nested():
                            result, delivery, contact_id = await run()
                    else:
                        result, delivery, contact_id = await run()
                except Exception as exc:
                    log.exception("processing an inbound message failed", extra={"channel": self.channel})
                    if not isolated:
                        raise _DialogueFailed from exc
                    failed.append({"row": row_id})
                    results[row_id] = Result(row_id, ran=False, failed=True)
                    if id(incoming[row_id]) in verdicts:  # counted above, outside its savepoint
                        uncounted.append(contact_key(incoming[row_id].channel, incoming[row_id].contact))
                    continue
                results[row_id] = result
                if contact_id is not None:
                    contacts.append(contact_id)
                if delivery is not None:
                    queued = queued or bool(delivery.queued)
                    records.append({"id": row_id, "reply_via": delivery.via, "reply_enc": (
                        self.secrets.encrypt_json(delivery.cached) if delivery.cached is not None else None),
                        "payload_enc": ""})
            await write_contact_writes(s)
            await insert_questions(s)
            # a message whose dialogue failed is tried again: it must not use up its sender's limit
            await self.rate_limit.uncount_many(s, self.secrets, uncounted)
            await release_held_many(s, contacts, self.secrets)
            await update_many(s, _INBOX, "id", sorted(records, key=lambda row: row["id"]))
            if failed:
                await s.execute(UNCLAIM, failed)
            earlier = [row_id for row_id in passive_until if row_id not in claimed]
            if earlier:  # redeliveries: what the first delivery decided (it has committed: we waited for its lock)
                for row_id, status, via, reply_enc, kind in await s.execute(statements["decided"], {"ids": earlier}):
                    cached = self.secrets.decrypt_json(reply_enc) if reply_enc else None
                    results[row_id] = Result(row_id, ran=False, failed=status == st.FAILED, via=via, cached=cached,
                                             kind=kind)
        if queued:
            self.notify()
        out, seen = [], set()
        for inbox_id, _until in items:
            result = results.get(inbox_id) or Result(inbox_id, ran=False, failed=True)  # no such row
            if inbox_id in seen:  # a second delivery of the message in this batch: the first one's answer
                result = Result(inbox_id, ran=False, failed=result.failed, via=result.via, cached=result.cached,
                                kind=result.kind)
            seen.add(inbox_id)
            out.append(result)
        return out

    async def _verdicts(self, s: AsyncSession, messages: list[Incoming], now: datetime) -> dict[int, Verdict]:
        """The rate limit's verdict on each counted message of the batch (one statement), by
        message id; messages not counted (and an album's messages after its first) are allowed."""
        counted = [incoming for incoming in messages
                   if self.counted(incoming) and not await self._album_counted(s, incoming, now)]
        verdicts = await self.rate_limit.check_many(
            s, self.secrets, [contact_key(incoming.channel, incoming.contact) for incoming in counted], now)
        return {id(incoming): verdict for incoming, verdict in zip(counted, verdicts, strict=True)}

    async def _run(self, s: AsyncSession, inbox_id: int, incoming: Incoming, kind: str, passive_until: float | None,
                   verdicts: dict[int, Verdict]) -> tuple[Result, Delivery | None, int | None]:
        replies = await self._dialogue(s, incoming, verdicts.get(id(incoming), Verdict.ALLOW))
        contact = await find_contact(s, self.secrets, incoming.channel, incoming.contact)  # the dialogue's
        if contact is None:  # rate-limited before the dialogue ever created it
            await s.execute(WIPE_PAYLOAD, {"row": inbox_id})
            return Result(inbox_id, ran=True, via=None, kind=kind), None, None
        passive = passive_until is not None and asyncio.get_running_loop().time() < passive_until
        delivery = await self.respond(s, contact, replies, inbox_id, passive, incoming)
        return Result(inbox_id, ran=True, via=delivery.via, cached=delivery.cached, replies=replies,
                      kind=kind), delivery, contact.id

    async def _dialogue(self, s: AsyncSession, incoming: Incoming, verdict: Verdict) -> list[Reply]:
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
        results = await asyncio.gather(*[self.process(inbox_id, passive_until=None) for inbox_id in ids])
        done = sum(result.ran for result in results)
        if ids:
            log.info("recovered inbound messages", extra={"channel": self.channel, "count": done})
        return done


def _first_hours(messages: Iterable[Incoming]) -> dict[str, datetime]:
    """Each sender's platform id → the hour of its first message (`prefetch_contacts`'s `create`)."""
    hours: dict[str, datetime] = {}
    for incoming in messages:
        hours.setdefault(incoming.contact, inbound_hour(incoming.received_at))
    return hours


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
