"""The outbox worker counts, once per outbox row and whatever the channel's sender, the messages it
delivered and its failures by outcome (what `/metrics` shows as etp_messages_out_total and
etp_delivery_failures_total)."""
from bot import outbox_worker
from bot.core.messages import Reply
from bot.core.metrics import REGISTRY
from bot.outbox_worker import OutboxWorker
from bot.services.contacts import get_or_create_contact
from bot.services.outbox import Held, RetryLater, Undeliverable, enqueue
from tests.casekit import FakeSender

CHANNEL = "metricstest"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"channel": CHANNEL, **labels}) or 0.0


async def _queue(runtime, n: int) -> None:
    secrets = runtime.services.secrets
    async with runtime.db.session() as s:
        contact = await get_or_create_contact(s, secrets, CHANNEL, "chat-7")
        for i in range(n):
            await enqueue(s, secrets, channel=CHANNEL, contact_id=contact.id, kind="staff_reply", replies=[Reply(f"m{i}")])


async def test_each_outcome_is_counted_once_per_row(runtime, monkeypatch) -> None:
    outcomes = ("held", "undeliverable", "retry", "gave_up")
    before_out = sample("etp_messages_out_total", via="outbox")
    before = {o: sample("etp_delivery_failures_total", outcome=o) for o in outcomes}
    await _queue(runtime, 4)
    sender = FakeSender()
    sender.fail_with = [Held("window"), Undeliverable("blocked"), RetryLater("429", after=0)]
    worker = OutboxWorker(runtime.db, runtime.services.secrets, {CHANNEL: sender})
    assert await worker.deliver_due() == 4
    counted = {o: sample("etp_delivery_failures_total", outcome=o) - before[o] for o in outcomes}
    assert counted == {"held": 1, "undeliverable": 1, "retry": 1, "gave_up": 0}
    assert sample("etp_messages_out_total", via="outbox") - before_out == 1

    monkeypatch.setattr(outbox_worker, "MAX_ATTEMPTS", 2)  # the retried row fails for good at its next try
    sender.fail_with = [RetryLater("429 again")]
    await worker.deliver_due()
    assert sample("etp_delivery_failures_total", outcome="gave_up") - before["gave_up"] == 1

