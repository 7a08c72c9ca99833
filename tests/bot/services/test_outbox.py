"""The outbox delivers each message once, retries with backoff, holds and fails honestly."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.messages import Choice, Reply
from bot.core.models import OutboxMessage, utcnow
from bot.core.models import outbox as st
from bot.outbox_worker import OutboxWorker
from bot.services.contacts import get_or_create_contact
from bot.services.outbox import Held, RetryLater, Undeliverable, enqueue, release_held
from tests.casekit import FakeSender
from tests.conftest import SECRET


@pytest.fixture
def secrets() -> Secrets:
    return Secrets(SECRET)


async def _queue(db: Database, secrets: Secrets, text: str = "hello", dedupe: str | None = None) -> int:
    async with db.session() as s:
        contact = await get_or_create_contact(s, secrets, "fake", "chat-42")
        await enqueue(s, secrets, channel="fake", contact_id=contact.id, kind="staff_reply",
                      replies=[Reply(text, (Choice("menu", "Menu"),))], dedupe_key=dedupe)
        return contact.id


async def _rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as s:
        return list((await s.execute(select(OutboxMessage))).scalars())


async def test_delivers_once_with_decrypted_destination(db: Database, secrets: Secrets) -> None:
    await _queue(db, secrets, "staff answer")
    sender = FakeSender()
    worker = OutboxWorker(db, secrets, {"fake": sender})
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0
    assert sender.sent == [("chat-42", [Reply("staff answer", (Choice("menu", "Menu"),))], "staff_reply")]
    (row,) = await _rows(db)
    assert row.status == st.SENT and "staff answer" not in row.body_enc


async def test_dedupe_key_queues_once(db: Database, secrets: Secrets) -> None:
    await _queue(db, secrets, dedupe="reminder:F1:30")
    await _queue(db, secrets, dedupe="reminder:F1:30")
    assert len(await _rows(db)) == 1


async def test_retry_with_backoff_then_success(db: Database, secrets: Secrets) -> None:
    await _queue(db, secrets)
    sender = FakeSender()
    sender.fail_with = [RetryLater("429", after=30)]
    worker = OutboxWorker(db, secrets, {"fake": sender})
    await worker.deliver_due()
    (row,) = await _rows(db)
    assert row.status == st.PENDING and row.next_attempt_at > utcnow() + timedelta(seconds=25)
    assert await worker.deliver_due() == 0  # not due yet
    await worker.deliver_due(now=utcnow() + timedelta(seconds=31))
    assert len(sender.sent) == 1 and (await _rows(db))[0].status == st.SENT


async def test_undeliverable_is_recorded_not_retried(db: Database, secrets: Secrets) -> None:
    await _queue(db, secrets)
    sender = FakeSender()
    sender.fail_with = [Undeliverable("bot was blocked by the user")]
    worker = OutboxWorker(db, secrets, {"fake": sender})
    await worker.deliver_due()
    (row,) = await _rows(db)
    assert row.status == st.FAILED and "blocked" in row.last_error
    assert await worker.deliver_due(now=utcnow() + timedelta(days=1)) == 0


async def test_held_until_the_user_writes_again(db: Database, secrets: Secrets) -> None:
    contact_id = await _queue(db, secrets)
    sender = FakeSender()
    sender.fail_with = [Held("outside the 48-hour window")]
    worker = OutboxWorker(db, secrets, {"fake": sender})
    await worker.deliver_due()
    assert (await _rows(db))[0].status == st.HELD
    assert await worker.deliver_due(now=utcnow() + timedelta(days=3)) == 0
    async with db.session() as s:
        assert await release_held(s, contact_id) == 1
    await worker.deliver_due()
    assert len(sender.sent) == 1


async def test_a_crash_while_sending_is_retried_after_the_claim_expires(db: Database, secrets: Secrets) -> None:
    await _queue(db, secrets)
    worker = OutboxWorker(db, secrets, {"fake": FakeSender()})
    claimed = await worker._claim(utcnow())  # claimed, then the process dies before sending
    assert len(claimed) == 1
    restarted_sender = FakeSender()
    restarted = OutboxWorker(db, secrets, {"fake": restarted_sender})
    assert await restarted.deliver_due() == 0  # still claimed
    await restarted.deliver_due(now=utcnow() + timedelta(minutes=2))
    assert len(restarted_sender.sent) == 1
