"""Prometheus metrics of the bot, served at `/metrics` (`bot.metrics_view`).

Counters and histograms are updated where things happen (per process). Gauges that describe
shared state (outbox lag, cases waiting) are set from the database at scrape time, so every
process reports the same, correct values.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

MESSAGES_IN = Counter("etp_messages_in_total", "Inbound messages", ["channel", "kind"], registry=REGISTRY)
# via: "passive" (in the HTTP answer, WeChat) or "outbox" (one delivered outbox row)
MESSAGES_OUT = Counter("etp_messages_out_total", "Outbound messages", ["channel", "via"], registry=REGISTRY)
ANSWER_SECONDS = Histogram(
    "etp_answer_seconds", "Time to answer one inbound message", ["channel"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# the inbox's group commits (bot.core.batch): items per transaction, by batch ("wechat-store" …)
GROUP_COMMIT_ITEMS = Histogram(
    "etp_group_commit_items", "Items written by one group commit", ["batch"], registry=REGISTRY,
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
UNANSWERED = Counter("etp_faq_unconfident_total", "FAQ questions with no confident topic", ["lang"], registry=REGISTRY)
HANDOFFS = Counter("etp_handoffs_total", "Conversations handed to staff", ["reason"], registry=REGISTRY)
CASES_OPENED = Counter("etp_cases_opened_total", "Cases opened", ["queue"], registry=REGISTRY)
# outcome: held (WeChat 48-hour window), undeliverable, retry, gave_up (retries exhausted), no_destination
DELIVERY_FAILURES = Counter("etp_delivery_failures_total", "Outbox deliveries that failed", ["channel", "outcome"],
                            registry=REGISTRY)
# evidence (photos, documents) fetched from a platform, by outcome: kept, refused_type, refused_size,
# gone (the platform's copy expired or was refused); retries of the fetch are DELIVERY_FAILURES of
# the channel "<platform>-media"
EVIDENCE = Counter("etp_evidence_total", "Evidence fetched from the platforms, by outcome", ["channel", "outcome"],
                   registry=REGISTRY)

OUTBOX_MESSAGES = Gauge("etp_outbox_messages", "Outbox rows by status", ["status"], registry=REGISTRY)
OUTBOX_LAG = Gauge("etp_outbox_lag_seconds", "Age of the oldest message waiting in the outbox", registry=REGISTRY)
CASES_WAITING = Gauge("etp_cases_waiting", "Open cases waiting for staff, by queue", ["queue"], registry=REGISTRY)
CASES_OLDEST_WAITING = Gauge("etp_cases_oldest_waiting_seconds",
                             "How long the case waiting longest for staff has waited (since the reporter wrote), "
                             "by queue; 0 when none waits", ["queue"], registry=REGISTRY)
