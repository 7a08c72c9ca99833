"""Periodic jobs (reminders, purge, …) that run once across all processes.

The jobs are the list `JOBS` below (each a `bot.jobs.Job`); each run happens under a database lease named
after the job, and the time of the last run is a database row, so a restart neither skips nor
repeats a run and two processes never run the same job at once. Jobs must be idempotent over
their own data (what is due is computed from the database, not held in memory).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core import locks
from bot.jobs import Job, reminders, retention
from integrations import appkeys as K

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Every periodic job of the bot.
JOBS: tuple[Job, ...] = (reminders.JOB, retention.JOB, retention.REPLIES_JOB)


async def run_due(runtime: "Runtime") -> list[str]:
    """Run every job whose interval has passed, each under its lease. Returns the names run."""
    ran = []
    for j in JOBS:
        # the lease lasts one interval: taking it *is* the record that this run happened
        if await locks.acquire(runtime.db, f"job:{j.name}", j.every, renew=False):
            try:
                await j.fn(runtime)
                ran.append(j.name)
            except Exception:
                log.exception("scheduled job failed", extra={"job": j.name})
    return ran


async def run_forever(runtime: "Runtime", tick: float = 30.0) -> None:
    while True:
        await run_due(runtime)
        await asyncio.sleep(tick)


def setup(app: web.Application) -> None:
    async def scheduler(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(run_forever(app[K.RUNTIME]), name="scheduler")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(scheduler)
