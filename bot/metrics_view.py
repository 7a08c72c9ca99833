"""`/metrics`: the process's counters, and gauges of shared state (outbox lag, cases waiting)
read from the database at scrape time, so every process reports the same, correct values.
With `ETP_METRICS_TOKEN` set, a scrape must send `Authorization: Bearer <token>` (else 401)."""
from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from bot.core.metrics import CASES_OLDEST_WAITING, CASES_WAITING, OUTBOX_LAG, OUTBOX_MESSAGES, REGISTRY
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
    OUTBOX_LAG.set(_age(oldest))


def _age(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # aggregate results bypass the column type
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (utcnow() - moment).total_seconds())


async def _cases_waiting(session) -> None:
    since = func.min(func.coalesce(Case.waiting_since, Case.created_at))  # the reporter wrote last
    found = {queue: (n, oldest) for queue, n, oldest in (await session.execute(
        select(Case.queue, func.count(), since).where(Case.status == WAITING).group_by(Case.queue))).all()}
    for queue in QUEUES:
        n, oldest = found.get(queue, (0, None))
        CASES_WAITING.labels(queue).set(n)
        CASES_OLDEST_WAITING.labels(queue).set(_age(oldest))


# Async functions (session) -> None that set gauges from the database at scrape time.
DATABASE_GAUGES: tuple[Callable[..., Awaitable[None]], ...] = (_outbox, _cases_waiting)


def _authorized(request: web.Request) -> bool:
    token = request.config_dict[K.CONFIG].metrics_token
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode("utf-8"), f"Bearer {token}".encode())


async def metrics_view(request: web.Request) -> web.Response:
    if not _authorized(request):
        return web.Response(status=401, text="bearer token required", headers={"WWW-Authenticate": "Bearer"})
    runtime = request.config_dict[K.RUNTIME]
    async with runtime.db.session() as session:
        for gauge in DATABASE_GAUGES:
            await gauge(session)
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics_view)
