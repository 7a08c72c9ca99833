"""Periodic jobs (reminders, purge, …) that run once across all processes.

The jobs are the list `JOBS` below (each a `bot.jobs.Job`); each run happens under a database lease named
after the job, and the time of the last run is a database row, so a restart neither skips nor
repeats a run and two processes never run the same job at once. Jobs must be idempotent over
their own data (what is due is computed from the database, not held in memory).

Each process's scheduler keeps a `Heartbeat`: when its loop last went round, and the jobs whose last
run here failed. `/healthz` reports it (`bot.health`): a loop that stopped, or a failed job, is failing.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core import locks
from bot.jobs import Job, reminders, retention
from integrations import appkeys as K

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Every periodic job of the bot.
JOBS: tuple[Job, ...] = (reminders.JOB, retention.JOB)
TICK = 30.0  # seconds between passes


@dataclass
class Heartbeat:
    """This process's scheduler: when it last went round (monotonic clock), the jobs whose last
    run in this process failed (name → error type)."""

    beat: float = field(default_factory=time.monotonic)
    failed: dict[str, str] = field(default_factory=dict)

    def touch(self) -> None:
        self.beat = time.monotonic()

    def age(self) -> float:
        return time.monotonic() - self.beat


HEARTBEAT = web.AppKey("scheduler_heartbeat", Heartbeat)


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
