"""`GET /healthz`: is this process doing its work? 200 when every check passes, else 503.

Checks, each reported with what it measured:
- `database`: a `SELECT 1` answers;
- `outbox`: the oldest message that is due for a channel this process delivers has waited less
  than `OUTBOX_LAG_LIMIT` (held WeChat messages, waiting for the user's 48-hour window, are not due);
- `scheduler`: this process's scheduler loop went round less than `SCHEDULER_STALE_AFTER` ago
  (`bot.scheduler.Heartbeat`), and every job succeeded, in whichever process ran it, within two of
  its intervals and `JOB_GRACE` (counted from this process's start when that is later): a job
  that fails once is retried at its next interval without alarm, one that keeps failing is stale.

The body keeps the contract's fields (`status`, `database`) and adds `checks`.
"""
from __future__ import annotations

from datetime import UTC, timedelta

from aiohttp import web
from sqlalchemy import func, select

from bot import scheduler
from bot.core.models import OutboxMessage, utcnow
from bot.core.models import outbox as st
from bot.scheduler import HEARTBEAT, TICK
from integrations import appkeys as K

OUTBOX_LAG_LIMIT = 300.0  # seconds a due message may wait before the outbox counts as failing
SCHEDULER_STALE_AFTER = 10 * TICK + 300  # seconds without a pass (a long purge included)
JOB_GRACE = timedelta(minutes=10)  # beyond two intervals, before a job without success is failing


async def outbox_lag(db, channels: list[str]) -> float:
    """Seconds since the oldest undelivered message for `channels` became due (0 when none is)."""
    now = utcnow()
    async with db.session() as s:
        oldest = (await s.execute(select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status.in_([st.PENDING, st.SENDING]), OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(channels)))).scalar()
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # aggregate results bypass the column type
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


async def checks(app: web.Application) -> dict[str, dict]:
    runtime = app[K.RUNTIME]
    out: dict[str, dict] = {}
    db_ok = await runtime.db.ping()
    out["database"] = {"ok": db_ok, "dialect": runtime.db.dialect}
    channels = sorted(app.get(K.SENDERS, {}))
    if not db_ok:
        out["outbox"] = {"ok": False, "error": "database unavailable"}
    else:
        try:
            lag = await outbox_lag(runtime.db, channels)
            out["outbox"] = {"ok": lag < OUTBOX_LAG_LIMIT, "lag_seconds": round(lag, 1),
                             "limit_seconds": OUTBOX_LAG_LIMIT, "channels": channels}
        except Exception as exc:
            out["outbox"] = {"ok": False, "error": type(exc).__name__}
    heartbeat = app.get(HEARTBEAT)
    if heartbeat is not None:
        out["scheduler"] = await _scheduler(runtime, heartbeat) if db_ok else {"ok": False,
                                                                               "error": "database unavailable"}
    return out


async def _scheduler(runtime, heartbeat) -> dict:
    age = heartbeat.age()
    now = utcnow()
    try:
        done = await scheduler.last_success(runtime)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    jobs, stale = {}, []
    for job in scheduler.JOBS:
        since = max(done.get(job.name, heartbeat.started_at), heartbeat.started_at)
        limit = 2 * job.every + JOB_GRACE
        if now - since > limit:
            stale.append(job.name)
        jobs[job.name] = {"last_success_seconds_ago": round((now - done[job.name]).total_seconds(), 1)
                          if job.name in done else None, "limit_seconds": limit.total_seconds()}
        if job.name in heartbeat.failed:
            jobs[job.name]["last_error"] = heartbeat.failed[job.name]
    return {"ok": age < SCHEDULER_STALE_AFTER and not stale, "last_pass_seconds_ago": round(age, 1),
            "stale_after_seconds": SCHEDULER_STALE_AFTER, "stale_jobs": stale, "jobs": jobs}


async def healthz(request: web.Request) -> web.Response:
    app = request.app
    found = await checks(app)
    ok = all(c["ok"] for c in found.values())
    return web.json_response(
        {"status": "ok" if ok else "unavailable", "database": app[K.RUNTIME].db.dialect, "checks": found},
        status=200 if ok else 503,
    )
