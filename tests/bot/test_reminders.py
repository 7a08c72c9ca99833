"""Validity reminders: 60, 30 and 7 days before the end, once each, through the outbox, across
restarts. Today starts at 2 March 2026 (the clock fixture) and moves with the clock."""
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import scheduler
from bot.core.messages import Reply
from bot.core.models import OutboxMessage
from bot.core.models.factories import ReminderSent
from bot.jobs.reminders import due_threshold, send_reminders
from bot.outbox_worker import OutboxWorker
from bot.runtime import build_runtime
from bot.services.bindings import list_bindings, revoke_binding
from tests.conftest import ChatDriver
from tests.factories_support import import_rows, new_code

# Certified since 1 May 2025: valid until 1 May 2026, which is 60 days after 2 March 2026.
SUNNY = "C1,Sunny Toys Ltd,certified,2025-05-01,阳光玩具有限公司,,,,"


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Reply], str]] = []

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        self.sent.append((destination, replies, kind))


async def bind(runtime, factory_id: str, contact: str, lang: str = "en", channel: str = "telegram") -> ChatDriver:
    chat = ChatDriver(runtime, channel=channel, contact=contact)
    await chat.send(f"/lang {lang}")
    await chat.send(f"/bind {await new_code(runtime, factory_id, days=365)}")
    return chat


async def outbox(runtime) -> list[OutboxMessage]:
    async with runtime.db.session() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


def texts(runtime, rows: list[OutboxMessage]) -> list[str]:
    return [runtime.services.secrets.decrypt_json(r.body_enc)[0]["text"] for r in rows]


def test_the_due_threshold_is_the_smallest_not_yet_passed() -> None:
    assert [due_threshold(d, (60, 30, 7)) for d in (61, 60, 45, 30, 8, 7, 0, -1)] == [None, 60, 60, 30, 30, 7, 7, None]


async def test_reminders_go_through_the_outbox_once_each_in_the_contacts_language(runtime) -> None:
    await import_rows(runtime.db, SUNNY)
    await bind(runtime, "C1", "alice", "en")
    await bind(runtime, "C1", "bao", "zh", channel="wechat")
    assert await send_reminders(runtime) == 2
    rows = await outbox(runtime)
    assert [(r.kind, r.channel) for r in rows] == [("reminder", "telegram"), ("reminder", "wechat")]
    en, zh = texts(runtime, rows)
    assert "Certified status of Sunny Toys Ltd (factory ID C1) is valid until 1 May 2026." in en
    assert "60 days left." in en
    assert "阳光玩具有限公司（工厂编号 C1）的已认证（Certified）状态有效期至 2026年5月1日。" in zh and "还剩 60 天" in zh
    assert await send_reminders(runtime) == 0
    assert len(await outbox(runtime)) == 2
    sender = FakeSender()
    await OutboxWorker(runtime.db, runtime.services.secrets, {"telegram": sender, "wechat": sender}).deliver_due()
    assert sorted(dest for dest, _, _ in sender.sent) == ["alice", "bao"]
    assert {kind for _, _, kind in sender.sent} == {"reminder"}


async def test_each_threshold_fires_once_across_a_restart(runtime, config, clock) -> None:
    await import_rows(runtime.db, SUNNY)
    await bind(runtime, "C1", "alice")
    assert await send_reminders(runtime) == 1  # 60 days left
    restarted = await build_runtime(config)  # a new process over the same database
    restarted.services.clock = clock
    try:
        assert await send_reminders(restarted) == 0
        clock.advance(timedelta(days=15))  # 45 days left: the 60-day reminder was already sent
        assert await send_reminders(restarted) == 0
        clock.advance(timedelta(days=15))  # 1 April: 30 days left
        assert await send_reminders(restarted) == 1
        assert await send_reminders(runtime) == 0
        clock.advance(timedelta(days=23))  # 24 April: 7 days left
        assert await send_reminders(restarted) == 1
        clock.advance(timedelta(days=7))  # 1 May: the last day, the 7-day reminder is already out
        assert await send_reminders(restarted) == 0
        clock.advance(timedelta(days=1))  # expired: nothing more
        assert await send_reminders(restarted) == 0
    finally:
        await restarted.close()
    rows = await outbox(runtime)
    assert [t.split("\n")[1] for t in texts(runtime, rows)] == ["60 days left.", "30 days left.", "7 days left."]
    async with runtime.db.session() as s:
        sent = list((await s.execute(select(ReminderSent).order_by(ReminderSent.id))).scalars())
    assert [r.days_before for r in sent] == [60, 30, 7]
    assert [r.outbox_id for r in sent] == [r.id for r in rows]


async def test_a_missed_run_sends_the_relevant_reminder_late_with_the_true_days(runtime) -> None:
    # Probation since 15 April 2025: ends 15 April 2026, 44 days after 2 March 2026
    await import_rows(runtime.db, "PB,Hill Games,probation,2025-04-15,,,,,")
    await bind(runtime, "PB", "alice")
    assert await send_reminders(runtime) == 1
    (row,) = await outbox(runtime)
    assert "valid until 15 April 2026" in texts(runtime, [row])[0] and "44 days left." in texts(runtime, [row])[0]
    assert row.dedupe_key.endswith(":2026-04-15:60")


async def test_progressing_reminders_name_what_to_close(runtime, clock) -> None:
    # Progressing since 9 October 2025: lapses 9 April 2026, 38 days after 2 March 2026
    await import_rows(runtime.db, "P1,Bright Plastics,progressing,2025-10-09,,,1,2,0")
    await bind(runtime, "P1", "alice")
    await send_reminders(runtime)
    (text,) = texts(runtime, await outbox(runtime))
    assert "38 days left." in text and "Close the remaining 3 non-compliances before 9 April 2026" in text


async def test_no_reminder_without_a_known_end_nor_for_revoked_bindings(runtime) -> None:
    await import_rows(runtime.db, SUNNY,
                      "R1,River Dolls,remediation,2026-01-05,,,,,",       # 9 or 12 months: no end to remind of
                      "T1,Closed Works,terminated,2025-05-01,,,,,",       # nothing valid
                      "A1,Old Mill,assessed,2025-04-01,,,,,")             # ended 1 February 2026
    for fid in ("R1", "T1", "A1"):
        await bind(runtime, fid, f"user-{fid}")
    await bind(runtime, "C1", "revoked-user")
    async with runtime.db.session() as s:
        (info,) = await list_bindings(s, "C1")
        await revoke_binding(s, info.id)
    assert await send_reminders(runtime) == 0
    assert await outbox(runtime) == []


async def test_thresholds_come_from_the_configuration(runtime, config, clock) -> None:
    other = await build_runtime(replace(config, reminder_days=(14,)))
    other.services.clock = clock
    try:
        await import_rows(other.db, SUNNY)
        await bind(other, "C1", "alice")
        assert await send_reminders(other) == 0  # 60 days left, only 14 configured
        clock.advance(timedelta(days=46))  # 14 days left
        assert await send_reminders(other) == 1
    finally:
        await other.close()


async def test_the_scheduler_runs_the_job_once_per_interval(runtime) -> None:
    await import_rows(runtime.db, SUNNY)
    await bind(runtime, "C1", "alice")
    assert "reminders" in await scheduler.run_due(runtime)
    assert "reminders" not in await scheduler.run_due(runtime)  # within the hour: the lease holds
    assert len(await outbox(runtime)) == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_reminder_offers_the_status(runtime, lang: str) -> None:
    await import_rows(runtime.db, SUNNY)
    chat = await bind(runtime, "C1", "alice", lang)
    await send_reminders(runtime)
    (row,) = await outbox(runtime)
    (reply,) = runtime.services.secrets.decrypt_json(row.body_enc)
    assert [c[0] for c in reply["choices"]] == ["status"]
    await chat.choose("status")  # pressing it shows the full status
    assert ("60 days left" if lang == "en" else "还剩 60 天") in chat.text


class WindowSender:
    """Like WeChat without a template: outside the 48-hour window a message is held; a blocked
    user makes it undeliverable."""

    def __init__(self) -> None:
        self.open, self.blocked, self.sent = False, False, []

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        from bot.services.outbox import Held, Undeliverable

        if self.blocked:
            raise Undeliverable("user blocked the account")
        if not self.open:
            raise Held("outside the 48-hour window")
        self.sent.append((destination, kind))


async def test_a_held_reminder_goes_out_when_the_user_writes_and_a_failed_one_is_recorded(runtime) -> None:
    from bot.core.models import outbox as st
    from bot.services.outbox import release_held

    await import_rows(runtime.db, SUNNY)
    chat = await bind(runtime, "C1", "o-wechat-user", channel="wechat")
    await send_reminders(runtime)
    sender = WindowSender()
    worker = OutboxWorker(runtime.db, runtime.services.secrets, {"wechat": sender})
    await worker.deliver_due()
    (row,) = await outbox(runtime)
    assert row.status == st.HELD and sender.sent == []
    await chat.send("hi")  # the user writes: the window opens and the channel releases held messages
    async with runtime.db.session() as s:
        assert await release_held(s, row.contact_id) == 1
    sender.open = True
    await worker.deliver_due()
    assert sender.sent == [("o-wechat-user", "reminder")]

    runtime.services.clock.advance(timedelta(days=30))  # the 30-day reminder, to a user who blocked us
    await send_reminders(runtime)
    sender.blocked = True
    await worker.deliver_due()
    rows = await outbox(runtime)
    assert [r.status for r in rows] == [st.SENT, st.FAILED] and rows[1].last_error
