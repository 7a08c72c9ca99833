"""The server's own endpoints: health, metrics, and logs that never carry identifiers or text."""
import io
import json
import logging

from aiohttp.test_utils import TestClient, TestServer

from bot import metrics_view
from bot.app import create_app
from bot.core.logs import JsonFormatter, setup_logging


async def _client(config) -> TestClient:
    client = TestClient(TestServer(create_app(config, plugins=(metrics_view.setup,))))
    await client.start_server()
    return client


async def test_healthz_reports_the_database(config) -> None:
    client = await _client(config)
    try:
        resp = await client.get("/healthz")
        assert resp.status == 200
        body = await resp.json()
        assert body["status"] == "ok" and body["database"] in ("sqlite", "postgresql")
    finally:
        await client.close()


async def test_metrics_in_prometheus_format_with_outbox_figures(config) -> None:
    from bot.core.metrics import MESSAGES_IN

    MESSAGES_IN.labels("wechat", "text").inc()
    client = await _client(config)
    try:
        resp = await client.get("/metrics")
        text = await resp.text()
        assert resp.status == 200 and resp.content_type == "text/plain"
        assert 'etp_messages_in_total{channel="wechat",kind="text"}' in text
        assert 'etp_outbox_messages{status="pending"} 0.0' in text
        assert "etp_outbox_lag_seconds 0.0" in text
    finally:
        await client.close()


def test_json_logs_one_object_a_line_with_request_id() -> None:
    from bot.core.logs import request_id

    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging(stream=stream)
    token = request_id.set("req-1")
    try:
        logging.getLogger("etp.test").info("message handled", extra={"channel": "wechat", "kind": "text"})
    finally:
        request_id.reset(token)
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
        logging.captureWarnings(False)
    line = json.loads(stream.getvalue().strip())
    assert line["msg"] == "message handled" and line["request_id"] == "req-1" and line["kind"] == "text"
    assert isinstance(JsonFormatter().format(logging.makeLogRecord({"msg": "x"})), str)
    assert logging.getLogger("telegram").level == logging.WARNING  # its URLs carry the bot token
