"""Staff alerts of new cases: where they go. Each target is an outbox channel and a destination
(the Telegram chat, the e-mail recipients, the WeCom group robot); the channel's sender is
registered by `integrations/alerts.py` (e-mail, WeCom) or the Telegram channel. An alert says
the case number and the queue, nothing else: never the receipt, never what the reporter wrote.
"""
from __future__ import annotations

from bot.core.config import Config

EMAIL, WECOM = "email", "wecom"  # outbox channels of the alert senders
WECOM_ROBOT = "robot"  # the destination of a WeCom alert (the webhook address is configuration)


def targets(config: Config) -> list[tuple[str, str]]:
    """(outbox channel, destination) of every configured alert."""
    out: list[tuple[str, str]] = []
    if config.staff_alert_telegram_chat and config.telegram_enabled:
        out.append(("telegram", config.staff_alert_telegram_chat))
    if config.alert_smtp_url and config.alert_email_to:
        out.append((EMAIL, ",".join(config.alert_email_to)))
    if config.alert_wecom_webhook:
        out.append((WECOM, WECOM_ROBOT))
    return out
