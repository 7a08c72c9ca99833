"""Retention: closed cases older than the configured period are purged with their messages and
outbox rows, keeping counts (opened and closed per week) and first-response times; old unanswered
questions, processed inbox rows and sent or failed outbox rows go too; stale rate counters after a
day. What is still needed (open cases' delivery records, unprocessed messages) stays."""
import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.core.messages import Reply
from bot.core.models import OutboxMessage
from bot.core.models import outbox as ob
from bot.core.models.cases import CaseMessage, CaseStats, StaffUser
from bot.core.models.insights import UnansweredQuestion
from bot.core.models.messaging import DONE, FAILED, RECEIVED, InboxMessage, RateBucket
from bot.scheduler import run_due
from bot.services import cases, throttle
from bot.services.outbox import enqueue
from bot.services.retention import iso_week, purge
from bot.services.throttle import RateLimit
from tests.casekit import cases_in_db, file_helpline_report
from tests.conftest import ChatDriver

DAY = timedelta(days=1)


async def _reply_and_close(runtime, ref: str, after: timedelta, close: bool = True,
                           closed_after: timedelta | None = None) -> None:
    clock = runtime.services.clock
    async with runtime.db.session() as s:
        staff = (await s.execute(select(StaffUser))).scalars().first()
        if staff is None:
            staff = StaffUser(email="line@etp.org", role="helpline", password_hash="x")
            s.add(staff)
            await s.flush()
        case = await cases.find_case(s, runtime.services.secrets, ref)
        await cases.staff_reply(s, runtime.services.secrets, case, staff, "an answer", now=case.created_at + after)
        if close:
            cases.close(case, case.created_at + closed_after if closed_after else clock())


async def _stats(runtime) -> dict:
    async with runtime.db.session() as s:
        rows = (await s.execute(select(CaseStats))).scalars().all()
    return {(r.queue, r.category, r.week): (r.opened, r.closed, json.loads(r.first_response_seconds)) for r in rows}


async def _count(runtime, model, *where) -> int:
    async with runtime.db.session() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_closed_cases_past_retention_are_purged_keeping_counts(runtime, clock) -> None:
    start = clock.now
    old = await file_helpline_report(ChatDriver(runtime, contact="a"), "old closed case", category="wages")
    await _reply_and_close(runtime, old, timedelta(minutes=30))
    still_open = await file_helpline_report(ChatDriver(runtime, contact="b"), "open case", category="wages")
    clock.advance(timedelta(days=200))
    recent = await file_helpline_report(ChatDriver(runtime, contact="c"), "recent closed", category="hours")
    await _reply_and_close(runtime, recent, timedelta(minutes=5))

    purged = await purge(runtime.db, retention_days=365, now=start + timedelta(days=366))
    assert purged.cases == 1
    async with runtime.db.session() as s:
        found = {ref: await cases.find_case(s, runtime.services.secrets, ref) is not None for ref in (old, still_open, recent)}
    assert found == {old: False, still_open: True, recent: True} and len(await cases_in_db(runtime)) == 2
    assert await _stats(runtime) == {("helpline", "wages", iso_week(start)): (1, 1, [1800])}
    messages = await _count(runtime, CaseMessage)
    replies = await _count(runtime, OutboxMessage, OutboxMessage.kind == "staff_reply")
    assert messages == 3 and replies == 1  # the purged case's message and reply are gone

    reporter = ChatDriver(runtime, contact="a")
    await reporter.send(old)
    assert "No case has this reference" in reporter.text
    assert (await purge(runtime.db, retention_days=365, now=start + timedelta(days=366))).cases == 0


async def test_purged_counts_keep_the_week_closed_and_the_seconds_to_first_reply(runtime, clock) -> None:
    start = clock.now  # a Monday
    ref = await file_helpline_report(ChatDriver(runtime, contact="a"), "closed ten days later", category="safety")
    await _reply_and_close(runtime, ref, timedelta(seconds=95), closed_after=timedelta(days=10))
    other = await file_helpline_report(ChatDriver(runtime, contact="b"), "never answered", category="safety")
    async with runtime.db.session() as s:
        cases.close(await cases.find_case(s, runtime.services.secrets, other), start + DAY)
    await purge(runtime.db, retention_days=1, now=start + timedelta(days=30), timezone="Asia/Hong_Kong")
    assert await cases_in_db(runtime) == []
    assert await _stats(runtime) == {
        ("helpline", "safety", iso_week(start)): (2, 1, [95]),  # both opened; one closed that week
        ("helpline", "safety", iso_week(start + timedelta(days=10))): (0, 1, []),
    }


async def test_old_questions_inbox_and_outbox_rows_and_stale_counters_are_purged(runtime, clock) -> None:
    secrets = runtime.services.secrets
    start = clock.now
    asker = ChatDriver(runtime, contact="asker")
    await asker.send("How do I bake bread with a dragon?")
    # an open case whose staff reply (sent long ago) the case page still shows
    open_ref = await file_helpline_report(ChatDriver(runtime, contact="w"), "still open")
    await _reply_and_close(runtime, open_ref, timedelta(minutes=1), close=False)
    async with runtime.db.session() as s:
        await s.execute(OutboxMessage.__table__.update().values(status=ob.SENT, created_at=start))
        for n, status in enumerate([DONE, RECEIVED, FAILED]):
            s.add(InboxMessage(channel="telegram", key_hash=f"old-{n}", kind="text", payload_enc="x",
                               status=status, received_at=start))
        for status in [ob.SENT, ob.FAILED, ob.PENDING, ob.HELD]:
            row_id = await enqueue(s, secrets, channel="telegram", destination="42", kind="alert",
                                   replies=[Reply("new case")])
            await s.execute(OutboxMessage.__table__.update().where(OutboxMessage.id == row_id)
                            .values(status=status, created_at=start))
        await throttle.hit(s, secrets, "case-ref:1", 10, timedelta(hours=1), now=start)
        await RateLimit().check(s, secrets, "telegram:42", start)
    later = start + timedelta(days=40)
    clock.now = later
    await asker.send("what colour is the sky on mars")  # recent: kept
    async with runtime.db.session() as s:
        s.add(InboxMessage(channel="telegram", key_hash="new", kind="text", payload_enc="x", status=DONE,
                           received_at=later))
        await throttle.hit(s, secrets, "case-ref:2", 10, timedelta(hours=1), now=later)
        await RateLimit().check(s, secrets, "telegram:43", later)

    done = await purge(runtime.db, retention_days=30, now=later + timedelta(hours=2))
    assert (done.cases, done.questions, done.inbox, done.counters) == (0, 1, 1, 2)  # a throttle and a rate bucket
    async with runtime.db.session() as s:
        questions = [secrets.decrypt(q.text_enc) for q in (await s.execute(select(UnansweredQuestion))).scalars()]
        inbox = sorted((r.key_hash, r.status) for r in (await s.execute(select(InboxMessage))).scalars())
        alerts = sorted(r.status for r in (await s.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "alert"))).scalars())
        staff_replies = await _count(runtime, OutboxMessage, OutboxMessage.kind == "staff_reply")
        kept = set((await s.execute(select(RateBucket.key_hash))).scalars())
        buckets = await _count(runtime, RateBucket)
    assert questions == ["what colour is the sky on mars"]
    assert inbox == [("new", DONE), ("old-1", RECEIVED), ("old-2", FAILED)]
    assert alerts == [ob.HELD, ob.PENDING]  # still to deliver
    assert staff_replies == 1 and done.outbox == 2  # the sent and failed alerts; the open case's reply stays
    assert kept == {secrets.lookup_hash("case-ref:2"), secrets.lookup_hash("rate:telegram:43")} and buckets == 2


async def test_purge_is_a_scheduled_job(runtime, clock) -> None:
    from dataclasses import replace

    ref = await file_helpline_report(ChatDriver(runtime, contact="a"), "closed long ago")
    await _reply_and_close(runtime, ref, timedelta(minutes=1))
    runtime.config = replace(runtime.config, retention_days=0)
    clock.advance(timedelta(days=1))
    assert "purge" in await run_due(runtime)
    assert await cases_in_db(runtime) == []


async def test_passive_replies_are_wiped_after_a_minute_a_short_transaction_at_a_time(runtime, clock) -> None:
    """Under load a minute is tens of thousands of cached replies: they are wiped `chunk` rows a
    transaction (SQLite's webhook writes wait for each one), every one of them, and none younger
    than a minute nor of a message still to process."""
    from sqlalchemy import event

    from bot.services.retention import forget_passive_replies

    now = clock.now
    async with runtime.db.session() as s:
        for n in range(7):
            s.add(InboxMessage(channel="wechat", key_hash=f"done-{n}", kind="text", payload_enc="", status=DONE,
                               received_at=now - timedelta(minutes=2), reply_enc=f"reply {n}"))
        s.add(InboxMessage(channel="wechat", key_hash="recent", kind="text", payload_enc="", status=DONE,
                           received_at=now - timedelta(seconds=20), reply_enc="recent reply"))
        s.add(InboxMessage(channel="wechat", key_hash="waiting", kind="text", payload_enc="x", status=RECEIVED,
                           received_at=now - timedelta(minutes=2), reply_enc="not yet"))
    updates: list[str] = []
    event.listen(runtime.db.writer.engine.sync_engine, "before_cursor_execute",  # the hot path's writer
                 lambda _c, _cur, statement, *_: updates.append(statement) if statement.startswith("UPDATE") else None)
    assert await forget_passive_replies(runtime.db, now, chunk=3) == 7
    assert len(updates) == 3  # 3 + 3 + 1 rows
    async with runtime.db.session() as s:
        kept = dict((await s.execute(select(InboxMessage.key_hash, InboxMessage.reply_enc))).all())
    assert {key for key, reply in kept.items() if reply} == {"recent", "waiting"}
    assert await forget_passive_replies(runtime.db, now + timedelta(minutes=1)) == 1  # the recent one, now old
