"""Prometheus metrics: counters updated where things happen, gauges read from the database
at scrape time (so every process reports the same queue and outbox figures)."""
from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

MESSAGES_IN = Counter("etp_messages_in_total", "Inbound messages", ["channel", "kind"], registry=REGISTRY)
MESSAGES_OUT = Counter("etp_messages_out_total", "Outbound messages", ["channel", "via"], registry=REGISTRY)
ANSWER_SECONDS = Histogram(
    "etp_answer_seconds", "Time to answer one inbound message", ["channel"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
UNANSWERED = Counter("etp_faq_unconfident_total", "FAQ questions with no confident topic", ["lang"], registry=REGISTRY)
HANDOFFS = Counter("etp_handoffs_total", "Conversations handed to staff", ["reason"], registry=REGISTRY)
CASES_OPENED = Counter("etp_cases_opened_total", "Cases opened", ["queue"], registry=REGISTRY)
DELIVERY_FAILURES = Counter("etp_delivery_failures_total", "Outbox deliveries that failed", ["channel", "outcome"],
                            registry=REGISTRY)


async def metrics_view(request: web.Request) -> web.Response:
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics_view)
