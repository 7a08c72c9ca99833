"""`/metrics` as Prometheus scrapes it: the oldest waiting case per queue, and the optional bearer token."""
from dataclasses import replace
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer

from bot import metrics_view
from bot.app import create_app
from bot.core.models import utcnow
from bot.core.models.cases import ANSWERED, WAITING, Case


async def _scrape(config, headers=None):
    client = TestClient(TestServer(create_app(config, plugins=(metrics_view.setup,))))
    await client.start_server()
    try:
        resp = await client.get("/metrics", headers=headers or {})
        return resp.status, await resp.text(), resp.headers
    finally:
        await client.close()


def _value(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{series} not in /metrics")


async def test_oldest_waiting_case_per_queue(runtime, config) -> None:
    now = utcnow()
    async with runtime.db.session() as s:
        for n, (queue, status, waited) in enumerate([("helpline", WAITING, timedelta(hours=2)),
                                                     ("helpline", WAITING, timedelta(minutes=5)),
                                                     ("helpdesk", ANSWERED, timedelta(days=3)),  # staff answered
                                                     ("helpdesk", WAITING, timedelta(minutes=30))]):
            s.add(Case(ref_hash=f"h{n}", queue=queue, category="other", status=status,
                       created_at=now - waited - timedelta(days=1), waiting_since=now - waited))
    status, text, _ = await _scrape(config)
    assert status == 200
    assert 7190 < _value(text, 'etp_cases_oldest_waiting_seconds{queue="helpline"}') < 7300
    assert 1790 < _value(text, 'etp_cases_oldest_waiting_seconds{queue="helpdesk"}') < 1900
    assert _value(text, 'etp_cases_oldest_waiting_seconds{queue="integrity"}') == 0
    assert _value(text, 'etp_cases_waiting{queue="helpline"}') == 2


async def test_metrics_token_required_when_set(config) -> None:
    token = "scrape-token-0123456789"
    guarded = replace(config, metrics_token=token)
    for headers in (None, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": token}):
        status, text, resp_headers = await _scrape(guarded, headers)
        assert status == 401 and "etp_" not in text and resp_headers["WWW-Authenticate"] == "Bearer"
    status, text, _ = await _scrape(guarded, {"Authorization": f"Bearer {token}"})
    assert status == 200 and "etp_outbox_lag_seconds" in text
    status, _, _ = await _scrape(config)  # no token configured: open, as before
    assert status == 200
