"""`/healthz` as a load balancer and an operator read it: database, outbox lag, scheduler heartbeat."""
import asyncio
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer

from bot import health, metrics_view, scheduler
from bot.app import create_app
from bot.core.crypto import Secrets
from bot.core.messages import Reply
from bot.core.models import OutboxMessage, utcnow
from bot.core.models import outbox as st
from bot.jobs import Job
from bot.services.outbox import enqueue


async def _get(config, path="/healthz", plugins=(metrics_view.setup, scheduler.setup)):
    client = TestClient(TestServer(create_app(config, plugins=plugins)))
    await client.start_server()
    try:
        resp = await client.get(path)
        return resp.status, await resp.json()
    finally:
        await client.close()


async def test_all_checks_pass_on_a_fresh_server(config) -> None:
    status, body = await _get(config)
    assert status == 200 and body["status"] == "ok" and body["database"] in ("sqlite", "postgresql")
    checks = body["checks"]
    assert set(checks) == {"database", "outbox", "scheduler"}
    assert all(c["ok"] for c in checks.values())
    assert checks["outbox"]["lag_seconds"] == 0 and checks["scheduler"]["stale_jobs"] == []
    assert set(checks["scheduler"]["jobs"]) == {j.name for j in scheduler.JOBS}


async def _app_with_jobs(config, monkeypatch, *jobs):
    monkeypatch.setattr(scheduler, "JOBS", jobs)
    client = TestClient(TestServer(create_app(config, plugins=(scheduler.setup,))))
    await client.start_server()
    return client


async def _health(client):
    resp = await client.get("/healthz")
    return resp.status, await resp.json()


async def test_a_job_that_keeps_failing_makes_health_503(config, monkeypatch) -> None:
    async def broken(runtime):
        raise RuntimeError("the job broke")

    client = await _app_with_jobs(config, monkeypatch, Job("broken-probe", timedelta(hours=1), broken))
    try:
        heartbeat = client.server.app[scheduler.HEARTBEAT]
        for _ in range(200):  # the first pass runs at start
            if heartbeat.failed:
                break
            await asyncio.sleep(0.05)
        status, body = await _health(client)
        assert status == 200  # one failure: retried at the next interval, no alarm yet
        assert body["checks"]["scheduler"]["jobs"]["broken-probe"] == {
            "last_success_seconds_ago": None, "limit_seconds": 7800.0, "last_error": "RuntimeError"}
        heartbeat.started_at -= timedelta(hours=2, minutes=11)  # two intervals and the grace, no success
        status, body = await _health(client)
    finally:
        await client.close()
    assert status == 503 and body["status"] == "unavailable"
    assert body["checks"]["scheduler"]["ok"] is False and body["checks"]["scheduler"]["stale_jobs"] == ["broken-probe"]
    assert body["checks"]["database"]["ok"] is True


async def test_a_job_that_succeeded_in_another_process_counts(config, runtime, monkeypatch) -> None:
    runs = []

    async def works(rt):
        runs.append(rt)

    job = Job("works-probe", timedelta(hours=1), works)
    monkeypatch.setattr(scheduler, "JOBS", (job,))
    assert await scheduler.run_due(runtime) == ["works-probe"]  # "another process" runs it and records it
    client = await _app_with_jobs(config, monkeypatch, job)
    try:
        await asyncio.sleep(0.3)
        assert len(runs) == 1  # the lease holds: this process does not run it again
        client.server.app[scheduler.HEARTBEAT].started_at -= timedelta(hours=5)  # long-running
        status, body = await _health(client)
    finally:
        await client.close()
    assert status == 200
    assert body["checks"]["scheduler"]["jobs"]["works-probe"]["last_success_seconds_ago"] < 60


async def test_a_scheduler_stuck_in_a_job_goes_stale(config, monkeypatch) -> None:
    started, never = asyncio.Event(), asyncio.Event()

    async def hangs(runtime):
        started.set()
        await never.wait()

    monkeypatch.setattr(scheduler, "JOBS", (Job("hangs-probe", timedelta(hours=1), hangs),))
    client = TestClient(TestServer(create_app(config, plugins=(scheduler.setup,))))
    await client.start_server()
    try:
        await asyncio.wait_for(started.wait(), 10)
        assert (await client.get("/healthz")).status == 200  # just started: not stale yet
        client.server.app[scheduler.HEARTBEAT].beat -= health.SCHEDULER_STALE_AFTER + 1  # time passes, stuck
        resp = await client.get("/healthz")
        body = await resp.json()
    finally:
        await client.close()
    assert resp.status == 503 and body["checks"]["scheduler"]["ok"] is False
    assert body["checks"]["scheduler"]["last_pass_seconds_ago"] > health.SCHEDULER_STALE_AFTER


async def test_outbox_lag_counts_only_due_undelivered_rows_of_the_channels_delivered(db, config) -> None:
    secrets = Secrets(config.secret_key)
    now = utcnow()
    rows = [("late", "telegram", st.PENDING, now - timedelta(minutes=10)),
            ("backoff", "telegram", st.PENDING, now + timedelta(minutes=5)),
            ("held", "wechat", st.HELD, now - timedelta(hours=3)),
            ("sent", "telegram", st.SENT, now - timedelta(hours=1)),
            ("elsewhere", "terminal", st.PENDING, now - timedelta(hours=2))]
    async with db.session() as s:
        ids = [await enqueue(s, secrets, channel=channel, replies=[Reply("x")], kind="text", destination=name)
               for name, channel, _status, _due in rows]
    async with db.session() as s:
        for row_id, (_name, _channel, status, due) in zip(ids, rows, strict=True):
            row = await s.get(OutboxMessage, row_id)
            row.status, row.next_attempt_at = status, due
    lag = await health.outbox_lag(db, ["telegram", "wechat"])
    assert 590 < lag < 700  # the late telegram row; not the terminal one (no sender here), held or future rows
    assert await health.outbox_lag(db, ["wechat"]) == 0


async def test_outbox_lag_over_the_limit_is_503(config, monkeypatch) -> None:
    async def lagging(db, channels):
        return health.OUTBOX_LAG_LIMIT + 60

    monkeypatch.setattr(health, "outbox_lag", lagging)
    status, body = await _get(config)
    assert status == 503 and body["checks"]["outbox"]["ok"] is False
    assert body["checks"]["outbox"]["lag_seconds"] == health.OUTBOX_LAG_LIMIT + 60
