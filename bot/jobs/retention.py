"""The retention job: applies the retention policy every six hours (`bot.services.retention`)."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.jobs import Job
from bot.services.retention import purge

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime


async def scheduled_purge(runtime: "Runtime") -> None:
    await purge(runtime.db, retention_days=runtime.config.retention_days, now=runtime.services.clock(),
                timezone=runtime.config.timezone)


JOB = Job("purge", timedelta(hours=6), scheduled_purge)
