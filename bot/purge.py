"""Retention: closed cases older than `ETP_RETENTION_DAYS` are deleted with their messages and
outbox rows; what is kept is counts per queue, category and week of opening, and first-response
times for medians (`CaseStats`). Run by `etp-bot purge` and every six hours by the scheduler."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .db import Database
from .models import OutboxMessage
from .models.cases import CLOSED, Case, CaseMessage, CaseStats, StaffSession
from .scheduler import job

if TYPE_CHECKING:  # pragma: no cover
    from .runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 500


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


async def purge(db: Database, *, retention_days: int, now: datetime) -> int:
    """Purge what is due; returns the number of cases purged."""
    cutoff = now - timedelta(days=retention_days)
    total = 0
    while True:
        async with db.session() as s:
            due = (await s.execute(select(Case).where(Case.status == CLOSED, Case.closed_at < cutoff)
                                   .order_by(Case.id).limit(BATCH))).scalars().all()
            if due:
                await _count(s, due)
                await _delete(s, [c.id for c in due])
            await s.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        total += len(due)
        if len(due) < BATCH:
            break
    log.info("purge done", extra={"event": "purge", "cases": total})
    return total


async def _count(s: AsyncSession, due: list[Case]) -> None:
    for case in due:
        key = (case.queue, case.category, iso_week(case.created_at))
        stats = (await s.execute(select(CaseStats).where(
            CaseStats.queue == key[0], CaseStats.category == key[1], CaseStats.week == key[2]))).scalar_one_or_none()
        if stats is None:
            stats = CaseStats(queue=key[0], category=key[1], week=key[2], cases=0, urgent=0, first_response_minutes="[]")
            s.add(stats)
        stats.cases += 1
        stats.urgent += int(case.urgent)
        if case.first_response_at is not None:
            minutes = json.loads(stats.first_response_minutes or "[]")
            minutes.append(int((case.first_response_at - case.created_at).total_seconds() // 60))
            stats.first_response_minutes = json.dumps(sorted(minutes))
        await s.flush()


async def _delete(s: AsyncSession, case_ids: list[int]) -> None:
    outbox_ids = (await s.execute(select(CaseMessage.outbox_id).where(
        CaseMessage.case_id.in_(case_ids), CaseMessage.outbox_id.is_not(None)))).scalars().all()
    if outbox_ids:
        await s.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)))
    await s.execute(delete(CaseMessage).where(CaseMessage.case_id.in_(case_ids)))
    await s.execute(delete(Case).where(Case.id.in_(case_ids)))


@job("purge", every=timedelta(hours=6))
async def scheduled_purge(runtime: "Runtime") -> None:
    await purge(runtime.db, retention_days=runtime.config.retention_days, now=runtime.services.clock())
