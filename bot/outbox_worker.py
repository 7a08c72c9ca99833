"""The outbox worker: delivers due outbox rows through the sender registered for their channel,
with retries and backoff (`bot.services.outbox` is the enqueue side; see its docstring for the
delivery guarantees)."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.messages import Reply
from bot.core.models import Contact, OutboxMessage, utcnow
from bot.core.models import outbox as st
from bot.services.contacts import destination
from bot.services.outbox import Held, RetryLater, Sender, Undeliverable

log = logging.getLogger(__name__)

CLAIM_TTL = timedelta(seconds=60)  # a claimed row not finished by then is tried again
MAX_ATTEMPTS = 8
BACKOFF = [5, 15, 60, 300, 900, 1800, 3600]  # seconds between attempts


@dataclass
class ClaimedRow:
    """What the sender needs: where to, what."""

    id: int
    channel: str
    destination: str
    replies: list[Reply]
    kind: str
    contact_id: int | None



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
            except Exception:
                log.exception("outbox pass failed")
                busy = 0
            if not busy:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), poll)
                except TimeoutError:
                    pass

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One pass: claim due rows, send them, record the outcome. Returns rows handled."""
        claimed = await self._claim(now or utcnow())
        for delivery in claimed:
            await self._deliver(delivery)
        return len(claimed)

    async def _claim(self, now: datetime) -> list[ClaimedRow]:
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
            out: list[ClaimedRow] = []
            for row in rows:
                row.status, row.attempts = st.SENDING, row.attempts + 1
                row.next_attempt_at = now + CLAIM_TTL
                destination = await self._destination(s, row)
                if destination is None:
                    row.status, row.last_error = st.FAILED, "no destination"
                    metrics.DELIVERY_FAILURES.labels(row.channel, "no_destination").inc()
                    continue
                replies = [Reply.from_dict(d) for d in self.secrets.decrypt_json(row.body_enc)]
                out.append(ClaimedRow(row.id, row.channel, destination, replies, row.kind, row.contact_id))
            return out

    async def _destination(self, s: AsyncSession, row: OutboxMessage) -> str | None:
        if row.destination_enc:
            return self.secrets.decrypt(row.destination_enc)
        contact = await s.get(Contact, row.contact_id) if row.contact_id else None
        return destination(self.secrets, contact) if contact else None

    async def _deliver(self, d: ClaimedRow) -> None:
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
        except Exception as exc:
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

    async def _retry_values(self, d: ClaimedRow, reason: str, after: float | None) -> dict:
        async with self.db.session() as s:
            attempts = (await s.get(OutboxMessage, d.id)).attempts
        if attempts >= MAX_ATTEMPTS:
            return {"status": st.FAILED, "last_error": f"gave up: {reason}"[:200]}
        delay = after if after is not None else BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
        return {"status": st.PENDING, "next_attempt_at": utcnow() + timedelta(seconds=delay),
                "last_error": reason[:200]}

