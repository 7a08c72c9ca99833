"""Prometheus metrics at `/metrics`.

Counters and histograms are updated where things happen (per process). Figures that describe
shared state (outbox lag, cases waiting) are read from the database at scrape time, so every
process reports the same, correct values.
"""
from __future__ import annotations

from typing import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from . import appkeys as K
from .models import OutboxMessage, utcnow
from .models import outbox as st
from .models.cases import QUEUES, WAITING, Case

REGISTRY = CollectorRegistry(auto_describe=True)

MESSAGES_IN = Counter("etp_messages_in_total", "Inbound messages", ["channel", "kind"], registry=REGISTRY)
# via: "passive" (in the HTTP answer, WeChat) or "outbox" (one delivered outbox row)
MESSAGES_OUT = Counter("etp_messages_out_total", "Outbound messages", ["channel", "via"], registry=REGISTRY)
ANSWER_SECONDS = Histogram(
    "etp_answer_seconds", "Time to answer one inbound message", ["channel"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
UNANSWERED = Counter("etp_faq_unconfident_total", "FAQ questions with no confident topic", ["lang"], registry=REGISTRY)
HANDOFFS = Counter("etp_handoffs_total", "Conversations handed to staff", ["reason"], registry=REGISTRY)
CASES_OPENED = Counter("etp_cases_opened_total", "Cases opened", ["queue"], registry=REGISTRY)
# outcome: held (WeChat 48-hour window), undeliverable, retry, gave_up (retries exhausted), no_destination
DELIVERY_FAILURES = Counter("etp_delivery_failures_total", "Outbox deliveries that failed", ["channel", "outcome"],
                            registry=REGISTRY)

OUTBOX_MESSAGES = Gauge("etp_outbox_messages", "Outbox rows by status", ["status"], registry=REGISTRY)
OUTBOX_LAG = Gauge("etp_outbox_lag_seconds", "Age of the oldest message waiting in the outbox", registry=REGISTRY)
CASES_WAITING = Gauge("etp_cases_waiting", "Open cases waiting for staff, by queue", ["queue"], registry=REGISTRY)

# Async functions (session) -> None that set gauges from the database; features append theirs.
DatabaseGauge = Callable[..., Awaitable[None]]
DATABASE_GAUGES: list[DatabaseGauge] = []


def database_gauge(fn: DatabaseGauge) -> DatabaseGauge:
    DATABASE_GAUGES.append(fn)
    return fn


@database_gauge
async def _outbox(session) -> None:  # noqa: ANN001
    counts = dict((await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
    for status in (st.PENDING, st.SENDING, st.SENT, st.HELD, st.FAILED):
        OUTBOX_MESSAGES.labels(status).set(counts.get(status, 0))
    oldest = (await session.execute(select(func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status.in_([st.PENDING, st.SENDING])))).scalar()
    if oldest is not None and oldest.tzinfo is None:  # aggregate results bypass the column type
        from datetime import timezone

        oldest = oldest.replace(tzinfo=timezone.utc)
    OUTBOX_LAG.set((utcnow() - oldest).total_seconds() if oldest else 0)


@database_gauge
async def _cases_waiting(session) -> None:  # noqa: ANN001
    counts = dict((await session.execute(
        select(Case.queue, func.count()).where(Case.status == WAITING).group_by(Case.queue))).all())
    for queue in QUEUES:
        CASES_WAITING.labels(queue).set(counts.get(queue, 0))


async def metrics_view(request: web.Request) -> web.Response:
    runtime = request.config_dict[K.RUNTIME]
    async with runtime.db.session() as session:
        for gauge in DATABASE_GAUGES:
            await gauge(session)
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics_view)
