"""The alert rules (deploy/prometheus/etp-bot.rules.yml) use the metrics and labels the app really
exports: a renamed metric or label breaks this test (promtool's own checks run in .ci/run)."""
import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot import metrics_view
from bot.app import create_app
from bot.core.metrics import REGISTRY

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "etp-bot.rules.yml"
SCRAPE_LABELS = {"job", "instance"}  # added by Prometheus


def expressions(text: str) -> list[str]:
    """The `expr:` of every rule, block scalars (`expr: |`) included."""
    out, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if not m:
            continue
        indent, value = len(m.group(1)), m.group(2).strip()
        if value in ("|", ">"):
            block = []
            for more in lines[i + 1:]:
                if more.strip() and len(more) - len(more.lstrip()) <= indent:
                    break
                block.append(more.strip())
            value = " ".join(block)
        out.append(value)
    return out


def labels_of_exported_metrics() -> dict[str, set[str]]:
    found = {}
    for collector in REGISTRY._collector_to_names:
        for name in REGISTRY._collector_to_names[collector]:
            found[name] = set(getattr(collector, "_labelnames", ()))
    return found


async def test_rules_use_metric_names_and_labels_that_metrics_exports(config) -> None:
    client = TestClient(TestServer(create_app(config, plugins=(metrics_view.setup,))))
    await client.start_server()
    try:
        scraped = await (await client.get("/metrics")).text()
    finally:
        await client.close()
    served = set(re.findall(r"^# TYPE (\S+) ", scraped, re.M))
    exported = labels_of_exported_metrics()
    exprs = expressions(RULES.read_text(encoding="utf-8"))
    assert len(exprs) >= 9
    used_any = set()
    for expr in exprs:
        metrics = set(re.findall(r"\b(etp_[a-z_]+)\b", expr))
        used_any |= metrics
        for name in metrics:
            family = re.sub(r"_total$", "", name)
            assert name in served or family in served, f"{name} (in {expr!r}) is not on /metrics"
        labels = set(re.findall(r"([a-z_]+)\s*(?:=~|!~|!=|=)\s*\"", expr))
        for group in re.findall(r"\b(?:by|on|without|ignoring)\s*\(([^)]*)\)", expr):
            labels |= {x.strip() for x in group.split(",") if x.strip()}
        allowed = set().union(*(exported.get(m, set()) for m in metrics)) | SCRAPE_LABELS
        assert labels <= allowed, f"labels {labels - allowed} of {expr!r} are not exported"
    assert {"etp_outbox_lag_seconds", "etp_delivery_failures_total", "etp_cases_oldest_waiting_seconds",
            "etp_faq_unconfident_total", "etp_messages_in_total"} <= used_any
