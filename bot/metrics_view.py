"""`/metrics`: the process's counters, and gauges of shared state (outbox lag, cases waiting)
read from the database at scrape time, so every process reports the same, correct values."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from bot.core.metrics import CASES_WAITING, OUTBOX_LAG, OUTBOX_MESSAGES, REGISTRY
from bot.core.models import OutboxMessage, utcnow
from bot.core.models import outbox as st
from bot.core.models.cases import QUEUES, WAITING, Case
from integrations import appkeys as K


async def _outbox(session) -> None:
    counts = dict((await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
    for status in (st.PENDING, st.SENDING, st.SENT, st.HELD, st.FAILED):
        OUTBOX_MESSAGES.labels(status).set(counts.get(status, 0))
    oldest = (await session.execute(select(func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status.in_([st.PENDING, st.SENDING])))).scalar()
    if oldest is not None and oldest.tzinfo is None:  # aggregate results bypass the column type

        oldest = oldest.replace(tzinfo=UTC)
    OUTBOX_LAG.set((utcnow() - oldest).total_seconds() if oldest else 0)


async def _cases_waiting(session) -> None:
    counts = dict((await session.execute(
        select(Case.queue, func.count()).where(Case.status == WAITING).group_by(Case.queue))).all())
    for queue in QUEUES:
        CASES_WAITING.labels(queue).set(counts.get(queue, 0))


# Async functions (session) -> None that set gauges from the database at scrape time.
DATABASE_GAUGES: tuple[Callable[..., Awaitable[None]], ...] = (_outbox, _cases_waiting)


async def metrics_view(request: web.Request) -> web.Response:
    runtime = request.config_dict[K.RUNTIME]
    async with runtime.db.session() as session:
        for gauge in DATABASE_GAUGES:
            await gauge(session)
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics_view)
