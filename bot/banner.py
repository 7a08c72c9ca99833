"""What `etp-bot serve` says before its logs: one plain line per fact, on standard output.

Where it listens, where the staff console is, which channels are on and in which mode, which
database, and what this process does in the shared work (schedules, outbox).
"""
from __future__ import annotations

from datetime import timedelta

from bot.core.config import Config, masked_url
from bot.jobs import Job

ALL_INTERFACES = ("0.0.0.0", "::", "")


def _every(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    if seconds % 86400 == 0:
        n, unit = seconds // 86400, "day"
    elif seconds % 3600 == 0:
        n, unit = seconds // 3600, "hour"
    else:
        n, unit = seconds // 60, "minute"
    return f"every {unit}" if n == 1 else f"every {n} {unit}s"


def wechat_line(config: Config) -> str:
    if not config.wechat_enabled:
        return "WeChat: off (set WECHAT_TOKEN, WECHAT_APP_ID and WECHAT_APP_SECRET to turn it on)"
    if not config.wechat_aes_key:
        mode = "plaintext mode (消息加解密方式: 明文模式)"
    elif config.wechat_compat_mode:
        mode = "compatible mode (兼容模式: encrypted and plaintext requests accepted)"
    else:
        mode = "safe mode (安全模式: encrypted requests only)"
    return f"WeChat: on, {mode}, at /wechat"


def telegram_line(config: Config, polling: bool) -> str:
    if not config.telegram_enabled:
        return "Telegram: off (set TELEGRAM_BOT_TOKEN to turn it on)"
    if polling:
        return "Telegram: on, long polling (the webhook is deleted; only one process may poll)"
    if not config.telegram_webhook_secret:
        return ("Telegram: on, webhook at /telegram, but TELEGRAM_WEBHOOK_SECRET is not set: "
                "every update will be refused (403)")
    return "Telegram: on, webhook at /telegram (register it with `etp-bot telegram set-webhook URL`)"


def database_line(config: Config) -> str:
    shown = masked_url(config.database_url)
    if config.is_sqlite:
        return f"database: {shown} (SQLite: for one process; use PostgreSQL to run several)"
    return f"database: {shown}"


def banner_lines(config: Config, *, host: str, port: int, telegram_polling: bool = False,
                 jobs: tuple[Job, ...] = (), version: str = "") -> list[str]:
    local = "127.0.0.1" if host in ALL_INTERFACES else host
    where = f"http://{host or '0.0.0.0'}:{port}" + (" (all interfaces)" if host in ALL_INTERFACES else "")
    channels = [name for name, on in (("WeChat", config.wechat_enabled), ("Telegram", config.telegram_enabled),
                                      ("e-mail alerts", bool(config.alert_smtp_url)),
                                      ("WeCom alerts", bool(config.alert_wecom_webhook))) if on]
    schedule = ", ".join(f"{j.name} {_every(j.every)}" for j in jobs)
    metrics = "/metrics (bearer token required)" if config.metrics_token else "/metrics (no token: keep it private)"
    return [
        f"etp-bot {version}".rstrip(),
        f"listening on {where}",
        f"staff console: http://{local}:{port}/staff/ (accounts: `etp-bot staff add EMAIL --role ROLE`)",
        wechat_line(config),
        telegram_line(config, telegram_polling),
        database_line(config),
        f"schedules: this process takes its turn at the periodic jobs ({schedule}); "
        "a database lease lets one process run each job once",
        "outbox: this process delivers queued messages"
        + (f" ({', '.join(channels)})" if channels else " (no channel is on)")
        + "; each message is claimed by one process",
        f"health: /healthz, metrics: {metrics}",
    ]
