"""Periodic jobs (reminders, purge, …) that run once across all processes.

The jobs are the list `JOBS` below (each a `bot.jobs.Job`); each run happens under a database lease named
after the job, and the time of the last run is a database row, so a restart neither skips nor
repeats a run and two processes never run the same job at once. Jobs must be idempotent over
their own data (what is due is computed from the database, not held in memory).

Each process's scheduler keeps a `Heartbeat` (when its loop last went round, the error of a job
whose last run here failed), and each job's last success is a shared database value
(`job-done:NAME`, whichever process ran it). `/healthz` reports both (`bot.health`): a loop that
stopped, or a job with no success for two of its intervals, is failing.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import select

from bot.core import locks
from bot.core.models import SharedValue, utcnow
from bot.jobs import Job, reminders, retention
from integrations import appkeys as K

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Every periodic job of the bot.
JOBS: tuple[Job, ...] = (reminders.JOB, retention.JOB, retention.REPLIES_JOB)
TICK = 30.0  # seconds between passes


@dataclass
class Heartbeat:
    """This process's scheduler: when it last went round (monotonic clock), the jobs whose last
    run in this process failed (name → error type)."""

    beat: float = field(default_factory=time.monotonic)
    failed: dict[str, str] = field(default_factory=dict)
    started_at: datetime = field(default_factory=utcnow)

    def touch(self) -> None:
        self.beat = time.monotonic()

    def age(self) -> float:
        return time.monotonic() - self.beat


HEARTBEAT = web.AppKey("scheduler_heartbeat", Heartbeat)
DONE = "job-done:"  # + job name: the shared value holding the time of its last success


async def _record_done(runtime: "Runtime", name: str) -> None:
    stamp = runtime.services.secrets.encrypt(utcnow().isoformat())
    async with runtime.db.session() as s:  # one process at a time runs a job (its lease)
        await s.merge(SharedValue(name=DONE + name, value_enc=stamp, expires_at=None))


async def last_success(runtime: "Runtime") -> dict[str, datetime]:
    """Each job's last successful run, in any process (jobs that never succeeded are absent)."""
    async with runtime.db.session() as s:
        rows = (await s.execute(select(SharedValue).where(
            SharedValue.name.in_([DONE + j.name for j in JOBS])))).scalars().all()
    return {row.name.removeprefix(DONE): datetime.fromisoformat(runtime.services.secrets.decrypt(row.value_enc))
            for row in rows}


async def run_due(runtime: "Runtime", heartbeat: Heartbeat | None = None) -> list[str]:
    """Run every job whose interval has passed, each under its lease. Returns the names run."""
    heartbeat = heartbeat or Heartbeat()
    ran = []
    for j in JOBS:
        # the lease lasts one interval: taking it *is* the record that this run happened
        if await locks.acquire(runtime.db, f"job:{j.name}", j.every, renew=False):
            try:
                await j.fn(runtime)
                ran.append(j.name)
                heartbeat.failed.pop(j.name, None)
                await _record_done(runtime, j.name)
            except Exception as exc:
                heartbeat.failed[j.name] = type(exc).__name__
                log.exception("scheduled job failed", extra={"job": j.name})
        heartbeat.touch()  # after each job: a long pass still beats; a database that fails does not
    return ran


async def run_forever(runtime: "Runtime", tick: float = TICK, heartbeat: Heartbeat | None = None) -> None:
    heartbeat = heartbeat or Heartbeat()
    while True:
        try:
            await run_due(runtime, heartbeat)
        except Exception:  # the database away: the heartbeat goes stale, /healthz says so
            log.exception("scheduler pass failed")
        await asyncio.sleep(tick)


def setup(app: web.Application) -> None:
    heartbeat = app[HEARTBEAT] = Heartbeat()

    async def scheduler(app: web.Application) -> AsyncIterator[None]:
        heartbeat.touch()
        task = asyncio.create_task(run_forever(app[K.RUNTIME], heartbeat=heartbeat), name="scheduler")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(scheduler)
