"""The retention jobs: the retention policy every six hours, and the wiping of WeChat passive
replies cached for retries every minute (`bot.services.retention`)."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.jobs import Job
from bot.services.retention import forget_passive_replies, purge

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime


async def scheduled_purge(runtime: "Runtime") -> None:
    await purge(runtime.db, retention_days=runtime.config.retention_days, now=runtime.services.clock(),
                timezone=runtime.config.timezone)


JOB = Job("purge", timedelta(hours=6), scheduled_purge)


async def scheduled_forget_replies(runtime: "Runtime") -> None:
    await forget_passive_replies(runtime.db, runtime.services.clock())


REPLIES_JOB = Job("forget_replies", timedelta(minutes=1), scheduled_forget_replies)
