"""Retention: closed cases older than the configured period are purged with their messages and
outbox rows; only counts (and first-response times) are kept."""
import json
from datetime import timedelta

from sqlalchemy import func, select

from bot import cases
from bot.models import OutboxMessage
from bot.models.cases import CaseMessage, CaseStats, StaffUser
from bot.purge import iso_week, purge
from bot.scheduler import run_due
from tests.casekit import cases_in_db, file_helpline_report
from tests.conftest import ChatDriver


async def _reply_and_close(runtime, ref: str, after: timedelta, close: bool = True) -> None:  # noqa: ANN001
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
            cases.close(case, clock())


async def test_closed_cases_past_retention_are_purged_keeping_counts(runtime, clock) -> None:
    start = clock.now
    old = await file_helpline_report(ChatDriver(runtime, contact="a"), "old closed case", category="wages")
    await _reply_and_close(runtime, old, timedelta(minutes=30))
    still_open = await file_helpline_report(ChatDriver(runtime, contact="b"), "open case", category="wages")
    clock.advance(timedelta(days=200))
    recent = await file_helpline_report(ChatDriver(runtime, contact="c"), "recent closed", category="hours")
    await _reply_and_close(runtime, recent, timedelta(minutes=5))

    purged = await purge(runtime.db, retention_days=365, now=start + timedelta(days=366))
    assert purged == 1
    remaining = {runtime.services.secrets.decrypt(c.reference_enc) for c in await cases_in_db(runtime)}
    assert remaining == {still_open, recent}
    async with runtime.db.session() as s:
        (stats,) = (await s.execute(select(CaseStats))).scalars()
        messages = (await s.execute(select(func.count()).select_from(CaseMessage))).scalar_one()
        replies = (await s.execute(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.kind == "staff_reply"))).scalar_one()
    assert (stats.queue, stats.category, stats.week, stats.cases) == ("helpline", "wages", iso_week(start), 1)
    assert json.loads(stats.first_response_minutes) == [30]
    assert messages == 3 and replies == 1  # the purged case's message and reply are gone

    reporter = ChatDriver(runtime, contact="a")
    await reporter.send(old)
    assert "No case has this reference" in reporter.text
    assert await purge(runtime.db, retention_days=365, now=start + timedelta(days=366)) == 0


async def test_purge_is_a_scheduled_job(runtime, clock) -> None:
    from dataclasses import replace

    ref = await file_helpline_report(ChatDriver(runtime, contact="a"), "closed long ago")
    await _reply_and_close(runtime, ref, timedelta(minutes=1))
    runtime.config = replace(runtime.config, retention_days=0)
    clock.advance(timedelta(days=1))
    assert "purge" in await run_due(runtime)
    assert await cases_in_db(runtime) == []
