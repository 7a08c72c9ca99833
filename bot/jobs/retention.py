"""The retention job: applies the retention policy every six hours (`bot.services.retention`)."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.scheduler import job
from bot.services.retention import purge

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime


@job("purge", every=timedelta(hours=6))
async def scheduled_purge(runtime: "Runtime") -> None:
    await purge(runtime.db, retention_days=runtime.config.retention_days, now=runtime.services.clock(),
                timezone=runtime.config.timezone)
