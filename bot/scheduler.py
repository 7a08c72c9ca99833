"""Periodic jobs (reminders, purge, …) that run once across all processes.

A job is registered with `@job(name, every=…)`; each run happens under a database lease named
after the job, and the time of the last run is a database row, so a restart neither skips nor
repeats a run and two processes never run the same job at once. Jobs must be idempotent over
their own data (what is due is computed from the database, not held in memory).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from bot.core import locks
from integrations import appkeys as K

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

JobFn = Callable[["Runtime"], Awaitable[object]]


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    fn: JobFn


JOBS: dict[str, Job] = {}
# modules that register jobs on import
JOB_MODULES = ["bot.jobs.reminders", "bot.jobs.retention"]


def job(name: str, *, every: timedelta) -> Callable[[JobFn], JobFn]:
    def register(fn: JobFn) -> JobFn:
        JOBS[name] = Job(name, every, fn)
        return fn

    return register


def load_jobs() -> dict[str, Job]:
    import importlib

    for module in JOB_MODULES:
        importlib.import_module(module)
    return JOBS


async def run_due(runtime: "Runtime") -> list[str]:
    """Run every job whose interval has passed, each under its lease. Returns the names run."""
    ran = []
    for j in load_jobs().values():
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
