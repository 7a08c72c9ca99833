"""The outbox: everything sent later than the passive reply is written here first, in the same
transaction as the change that caused it, then delivered by a background task with retries and
backoff. A crash or restart loses nothing; each row is claimed by one process at a time
(`FOR UPDATE SKIP LOCKED` on PostgreSQL).

Delivery is at-least-once: a crash after the platform accepted a message and before the row is
marked sent (the few milliseconds in `_deliver` between `send` returning and the commit) makes
it go out again when its claim expires. Everything else is exactly-once.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.messages import Reply

from . import metrics
from .contacts import platform_id
from .crypto import Secrets
from .db import Database
from .dialect import insert_ignore
from .models import Contact, OutboxMessage, UTCDateTime, utcnow
from .models import outbox as st

log = logging.getLogger(__name__)

CLAIM_TTL = timedelta(seconds=60)  # a claimed row not finished by then is tried again
MAX_ATTEMPTS = 8
BACKOFF = [5, 15, 60, 300, 900, 1800, 3600]  # seconds between attempts


class RetryLater(Exception):
    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Undeliverable(Exception):
    """The platform will never take this message (user blocked the bot, unknown chat…)."""


class Held(Exception):
    """Not deliverable now (WeChat's 48-hour window): kept and given with the user's next message."""


class Sender(Protocol):
    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None: ...


@dataclass
class Delivery:
    """What the sender needs: where to, what."""

    id: int
    channel: str
    destination: str
    replies: list[Reply]
    kind: str
    contact_id: int | None


async def enqueue(
    session: AsyncSession,
    secrets: Secrets,
    *,
    channel: str,
    replies: list[Reply],
    kind: str,
    contact_id: int | None = None,
    destination: str | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue replies for a contact (or a raw destination such as the staff alert chat) and
    return the row id. With a `dedupe_key`, a second enqueue of the same key does nothing and
    returns None."""
    if (contact_id is None) == (destination is None):
        raise ValueError("give exactly one of contact_id and destination")
    values = {
        "contact_id": contact_id,
        "channel": channel,
        "destination_enc": secrets.encrypt(destination) if destination else None,
        "kind": kind,
        "body_enc": secrets.encrypt_json([r.to_dict() for r in replies]),
        "dedupe_key": dedupe_key,
        "status": st.PENDING,
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "created_at": utcnow(),
    }
    if dedupe_key is None:
        row = OutboxMessage(**values)
        session.add(row)
        await session.flush()
        return row.id
    if not await insert_ignore(session, OutboxMessage.__table__, values, ["dedupe_key"]):
        return None
    found = await session.execute(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
    return found.scalar_one()


async def release_held(session: AsyncSession, contact_id: int) -> int:
    """The user wrote again (the platform window reopened): held messages become due."""
    result = await session.execute(_RELEASE_HELD, {"contact": contact_id, "now": utcnow()})
    return result.rowcount or 0


# run for every inbound message: a prebuilt Core statement (an ORM-enabled UPDATE costs ~3x the CPU)
_OUTBOX = OutboxMessage.__table__
_RELEASE_HELD = (update(_OUTBOX).where(_OUTBOX.c.contact_id == bindparam("contact"), _OUTBOX.c.status == st.HELD)
                 .values(status=st.PENDING, next_attempt_at=bindparam("now", type_=UTCDateTime())))


class OutboxWorker:
    """Delivers due outbox rows through the sender registered for their channel."""

    def __init__(self, db: Database, secrets: Secrets, senders: dict[str, Sender], *, batch: int = 20) -> None:
        self.db, self.secrets, self.senders, self.batch = db, secrets, senders, batch
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Something was queued: deliver without waiting for the next poll."""
        self._wake.set()

    async def run(self, poll: float = 1.0) -> None:
        while True:
            try:
                busy = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the loop must survive a bad row or a lost DB
                log.exception("outbox pass failed")
                busy = 0
            if not busy:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), poll)
                except asyncio.TimeoutError:
                    pass

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One pass: claim due rows, send them, record the outcome. Returns rows handled."""
        claimed = await self._claim(now or utcnow())
        for delivery in claimed:
            await self._deliver(delivery)
        return len(claimed)

    async def _claim(self, now: datetime) -> list[Delivery]:
        channels = list(self.senders)
        async with self.db.session() as s:
            rows = (
                await s.execute(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status.in_([st.PENDING, st.SENDING]),
                        OutboxMessage.next_attempt_at <= now,
                        OutboxMessage.channel.in_(channels),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).scalars().all()
            out: list[Delivery] = []
            for row in rows:
                row.status, row.attempts = st.SENDING, row.attempts + 1
                row.next_attempt_at = now + CLAIM_TTL
                destination = await self._destination(s, row)
                if destination is None:
                    row.status, row.last_error = st.FAILED, "no destination"
                    metrics.DELIVERY_FAILURES.labels(row.channel, "no_destination").inc()
                    continue
                replies = [Reply.from_dict(d) for d in self.secrets.decrypt_json(row.body_enc)]
                out.append(Delivery(row.id, row.channel, destination, replies, row.kind, row.contact_id))
            return out

    async def _destination(self, s: AsyncSession, row: OutboxMessage) -> str | None:
        if row.destination_enc:
            return self.secrets.decrypt(row.destination_enc)
        contact = await s.get(Contact, row.contact_id) if row.contact_id else None
        return platform_id(self.secrets, contact) if contact else None

    async def _deliver(self, d: Delivery) -> None:
        values: dict = {}
        try:
            await self.senders[d.channel].send(d.destination, d.replies, kind=d.kind)
            values, outcome = {"status": st.SENT, "sent_at": utcnow(), "last_error": None}, None
        except Held as exc:
            values, outcome = {"status": st.HELD, "last_error": str(exc)[:200]}, "held"
        except Undeliverable as exc:
            values, outcome = {"status": st.FAILED, "last_error": str(exc)[:200]}, "undeliverable"
        except RetryLater as exc:
            values = await self._retry_values(d, str(exc), exc.after)
            outcome = "retry" if values["status"] == st.PENDING else "gave_up"
        except Exception as exc:  # noqa: BLE001 - an unknown failure is retried, not fatal
            values = await self._retry_values(d, type(exc).__name__, None)
            outcome = "retry" if values["status"] == st.PENDING else "gave_up"
        # counted here, once per outbox row, whatever the channel's sender
        if outcome is None:
            metrics.MESSAGES_OUT.labels(d.channel, "outbox").inc()
        else:
            metrics.DELIVERY_FAILURES.labels(d.channel, outcome).inc()
        log.info("outbox delivery", extra={"outbox_id": d.id, "channel": d.channel, "kind": d.kind,
                                           "outcome": values["status"]})
        async with self.db.session() as s:
            await s.execute(update(OutboxMessage).where(OutboxMessage.id == d.id).values(**values))

    async def _retry_values(self, d: Delivery, reason: str, after: float | None) -> dict:
        async with self.db.session() as s:
            attempts = (await s.get(OutboxMessage, d.id)).attempts
        if attempts >= MAX_ATTEMPTS:
            return {"status": st.FAILED, "last_error": f"gave up: {reason}"[:200]}
        delay = after if after is not None else BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
        return {"status": st.PENDING, "next_attempt_at": utcnow() + timedelta(seconds=delay),
                "last_error": reason[:200]}

