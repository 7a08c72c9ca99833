"""Retention, run by `etp-bot purge` and every six hours by the scheduler.

After `ETP_RETENTION_DAYS`: closed cases are deleted with their messages, evidence (photos and
documents kept, and their fetch jobs) and outbox rows, keeping
only counts per queue, category and week and first-response times for medians (`CaseStats`);
unanswered FAQ questions, processed inbox rows and sent or failed outbox rows are deleted too.
Unprocessed or failed inbox rows and outbox rows still to deliver (pending, held) are kept.
After a day: counters (`bot.services.throttle`; their windows are an hour at most), and
expired staff sessions (with their session keys). After an hour: the WeChat request signatures
already used (a signature is refused anyway once its timestamp is more than five minutes off).
After a minute: the passive replies cached for WeChat's retries (`forget_passive_replies`, its
own job every minute).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.db import Database
from bot.core.dialect import insert_ignore
from bot.core.models import OutboxMessage
from bot.core.models import outbox as ob
from bot.core.models.cases import CLOSED, Case, CaseMessage, CaseStats, StaffSession
from bot.core.models.evidence import CaseEvidence
from bot.core.models.insights import UnansweredQuestion
from bot.core.models.messaging import DONE, InboxMessage, RateBucket, SeenSignature
from bot.services.keyring import forget_ended_sessions

log = logging.getLogger(__name__)
BATCH = 500
COUNTERS_KEPT = timedelta(days=1)
# a used (timestamp, nonce) pair must be remembered while its timestamp is still accepted: from
# first use, at most twice the accepted age (integrations/wechat/receive.py MAX_SIGNATURE_AGE, 5 minutes)
SIGNATURES_KEPT = timedelta(hours=1)


@dataclass
class Purged:
    cases: int = 0
    questions: int = 0
    inbox: int = 0
    outbox: int = 0
    counters: int = 0
    signatures: int = 0


def iso_week(moment: datetime, tz: tzinfo | None = None) -> str:
    """The ISO week of a moment, in the office time zone when given (e.g. 2026-W10)."""
    year, week, _ = (moment.astimezone(tz) if tz else moment).isocalendar()
    return f"{year}-W{week:02d}"


async def purge(db: Database, *, retention_days: int, now: datetime, timezone: str | None = None) -> Purged:
    """Apply the retention policy; returns what was deleted."""
    cutoff = now - timedelta(days=retention_days)
    tz = ZoneInfo(timezone) if timezone else None
    done = Purged()
    while True:
        async with db.session() as s:
            due = (await s.execute(select(Case).where(Case.status == CLOSED, Case.closed_at < cutoff)
                                   .order_by(Case.id).limit(BATCH))).scalars().all()
            if due:
                await _count(s, due, tz)
                await _delete_cases(s, [c.id for c in due])
        done.cases += len(due)
        if len(due) < BATCH:
            break
    async with db.session() as s:
        done.questions = await _deleted(s, delete(UnansweredQuestion).where(UnansweredQuestion.created_at < cutoff))
        done.inbox = await _purge_inbox(s, cutoff)
        done.outbox = await _purge_outbox(s, cutoff)
        counters = now - COUNTERS_KEPT
        done.counters = await _deleted(s, delete(RateBucket).where(RateBucket.window_start < counters))
        done.signatures = await _deleted(s, delete(SeenSignature).where(SeenSignature.seen_at < now - SIGNATURES_KEPT))
        await s.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        await forget_ended_sessions(s)
        await s.execute(_forget_replies(now, since=None))
    log.info("purge done", extra={"event": "purge", **{f.name: getattr(done, f.name) for f in fields(done)}})
    return done


async def _deleted(s: AsyncSession, statement) -> int:
    return (await s.execute(statement.execution_options(synchronize_session=False))).rowcount or 0


async def _newest_id(s: AsyncSession, column) -> int:
    # The newest row is always kept: SQLite gives a new row the largest id + 1, so deleting the
    # newest rows would hand their ids out again, and an inbox id reused would collide with the
    # outbox dedupe keys ("inbox:ID:N") still stored.
    return (await s.execute(select(func.max(column)))).scalar() or 0


async def _purge_inbox(s: AsyncSession, cutoff: datetime) -> int:
    newest = await _newest_id(s, InboxMessage.id)
    return await _deleted(s, delete(InboxMessage).where(
        InboxMessage.status == DONE, InboxMessage.received_at < cutoff, InboxMessage.id < newest))


async def _purge_outbox(s: AsyncSession, cutoff: datetime) -> int:
    """Sent and failed rows, except the delivery records of staff replies on cases still kept
    (the case page shows their state, and a reporter checking back must not get them again)."""
    newest = await _newest_id(s, OutboxMessage.id)
    case_replies = select(CaseMessage.outbox_id).where(CaseMessage.outbox_id.is_not(None))
    return await _deleted(s, delete(OutboxMessage).where(
        OutboxMessage.status.in_([ob.SENT, ob.FAILED]), OutboxMessage.created_at < cutoff,
        OutboxMessage.id < newest, OutboxMessage.id.not_in(case_replies)))


async def _stats_row(s: AsyncSession, queue: str, category: str, week: str) -> CaseStats:
    """The counts of one queue, category and week, locked (two purges at once add up)."""
    await insert_ignore(s, CaseStats.__table__, {"queue": queue, "category": category, "week": week, "opened": 0,
                                                 "closed": 0, "urgent": 0, "first_response_seconds": "[]"},
                        ["queue", "category", "week"])
    return (await s.execute(select(CaseStats).where(
        CaseStats.queue == queue, CaseStats.category == category, CaseStats.week == week)
        .with_for_update().execution_options(populate_existing=True))).scalar_one()


async def _count(s: AsyncSession, due: list[Case], tz: tzinfo | None) -> None:
    for case in due:
        opened = await _stats_row(s, case.queue, case.category, iso_week(case.created_at, tz))
        opened.opened += 1
        opened.urgent += int(case.urgent)
        if case.first_response_at is not None:
            seconds = json.loads(opened.first_response_seconds or "[]")
            seconds.append(int((case.first_response_at - case.created_at).total_seconds()))
            opened.first_response_seconds = json.dumps(sorted(seconds))
        await s.flush()  # the closing week may be the same row, read again below
        closed = await _stats_row(s, case.queue, case.category, iso_week(case.closed_at, tz))
        closed.closed += 1
        await s.flush()


async def _delete_cases(s: AsyncSession, case_ids: list[int]) -> None:
    outbox_ids = [*(await s.execute(select(CaseMessage.outbox_id).where(
        CaseMessage.case_id.in_(case_ids), CaseMessage.outbox_id.is_not(None)))).scalars(),
                  *(await s.execute(select(CaseEvidence.outbox_id).where(
                      CaseEvidence.case_id.in_(case_ids), CaseEvidence.outbox_id.is_not(None)))).scalars()]
    if outbox_ids:
        await s.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)))
    await s.execute(delete(CaseEvidence).where(CaseEvidence.case_id.in_(case_ids)))
    await s.execute(delete(CaseMessage).where(CaseMessage.case_id.in_(case_ids)))
    await s.execute(delete(Case).where(Case.id.in_(case_ids)))


# WeChat retries a message three times within about 15 seconds, and gets the passive reply cached
# in the inbox row; that reply may hold a report's preview or a receipt, under the server key only,
# so it is wiped a minute later (`forget_passive_replies`, a scheduled job every minute).
PASSIVE_REPLY_KEPT = timedelta(minutes=1)


def _forget_replies(now: datetime, since: datetime | None, limit: int | None = None):
    where = [InboxMessage.reply_enc.is_not(None), InboxMessage.received_at < now - PASSIVE_REPLY_KEPT]
    if since is not None:  # the index on (status, received_at) keeps the minute's run short
        where += [InboxMessage.status == DONE, InboxMessage.received_at >= since]
    if limit is not None:  # UPDATE … LIMIT is neither SQL nor SQLite's default build: rows by id
        where = [InboxMessage.id.in_(select(InboxMessage.id).where(*where).limit(limit).scalar_subquery())]
    return update(InboxMessage).where(*where).values(reply_enc=None).execution_options(synchronize_session=False)


# rows a transaction of `forget_passive_replies` wipes at most: under load a minute is tens of
# thousands of replies, and SQLite's one writer (the webhook's group commits wait for it) must
# not be held for the whole minute's worth (~0.5 s for 20,000 rows) at once
FORGET_CHUNK = 2000


async def forget_passive_replies(db: Database, now: datetime, *, chunk: int = FORGET_CHUNK) -> int:
    """Wipe the passive replies cached for WeChat's retries once those are over (the last day's
    rows; `purge` wipes any older), `chunk` rows a transaction."""
    wiped = 0
    while True:
        batch = _forget_replies(now, since=now - timedelta(days=1), limit=chunk)
        async with db.writer.transaction() as s:  # in turn with the webhook's group commits
            done = await _deleted(s, batch)
        wiped += done
        if done < chunk:
            return wiped
