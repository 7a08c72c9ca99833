"""Periodic jobs run by `bot.scheduler` (the list is `bot.scheduler.JOBS`). A job module defines
its function and one `JOB = Job(name, every, fn)`; the function must be idempotent over its own
data (what is due is computed from the database, not held in memory)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

JobFn = Callable[["Runtime"], Awaitable[object]]


@dataclass(frozen=True)
class Job:
    name: str  # also the name of its database lease: do not rename a job that has run
    every: timedelta
    fn: JobFn
