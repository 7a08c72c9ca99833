"""Staff alerts that reach staff in mainland China, where Telegram is blocked: e-mail over SMTP
(aiosmtplib) and a WeCom (企业微信) group robot's webhook. Both are outbox senders (channels
`email` and `wecom`, kind `alert`), so an alert is retried with backoff while the mail server or
WeCom is down, and lost by neither a crash nor a restart. What they send is the alert's text
(`case_alert`: the queue and the case number), nothing else.

- `ETP_ALERT_SMTP_URL` (`smtp://USER:PASSWORD@HOST:587`, STARTTLS when the server offers it;
  `smtps://…:465`, TLS from the start) with `ETP_ALERT_EMAIL_TO` (comma-separated) and
  `ETP_ALERT_EMAIL_FROM` (default: the SMTP user when it is an address, else `etp-bot@HOST`).
- `ETP_ALERT_WECOM_WEBHOOK`: the robot's address, `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`
  (the key is a secret: masked by `etp-bot config check`, never logged).
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

import aiohttp
import aiosmtplib
from aiohttp import web

from bot.core.config import Config
from bot.core.messages import Reply, render_numbered
from bot.services.alerts import EMAIL, WECOM
from bot.services.outbox import RetryLater, Undeliverable
from integrations import appkeys as K

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 20.0
WECOM_TIMEOUT = aiohttp.ClientTimeout(total=10)
WECOM_LIMIT = 2048  # bytes of a text message's content
WECOM_SLOW_DOWN = {45009: 60.0}  # 20 messages a minute per robot
WECOM_GONE = {93000, 93008}  # invalid webhook key; the robot was removed


class EmailAlertSender:
    def __init__(self, smtp_url: str, sender: str | None) -> None:
        parts = urlsplit(smtp_url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender or (self.user if self.user and "@" in self.user else f"etp-bot@{self.host}")

    def message(self, recipients: list[str], text: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, ", ".join(recipients)
        mail["Subject"] = text.splitlines()[0] if text else "etp-bot"
        mail["Date"], mail["Message-ID"] = formatdate(localtime=False), make_msgid(domain=self.host)
        mail.set_content(text)
        return mail

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        recipients = [a for a in destination.split(",") if a]
        text = "\n\n".join(render_numbered(r) for r in replies)
        try:
            await aiosmtplib.send(self.message(recipients, text), hostname=self.host, port=self.port,
                                  username=self.user, password=self.password, use_tls=self.tls,
                                  timeout=SMTP_TIMEOUT)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise Undeliverable("the mail server refused every recipient") from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise RetryLater("SMTP authentication failed (check ETP_ALERT_SMTP_URL)", after=900.0) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise RetryLater(f"SMTP: {type(exc).__name__}") from exc


class WeComAlertSender:
    def __init__(self, webhook: str) -> None:
        self.webhook = webhook
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        text = "\n\n".join(render_numbered(r) for r in replies)
        content = text.encode("utf-8")[:WECOM_LIMIT].decode("utf-8", "ignore")
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=WECOM_TIMEOUT)
        try:
            async with self._http.post(self.webhook, json={"msgtype": "text", "text": {"content": content}}) as resp:
                resp.raise_for_status()
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RetryLater(f"WeCom: {type(exc).__name__}") from exc  # the URL holds the key: not in the reason
        code = int(data.get("errcode", -1)) if isinstance(data, dict) else -1
        if code == 0:
            return
        if code in WECOM_GONE:
            raise Undeliverable(f"WeCom webhook error {code} (check ETP_ALERT_WECOM_WEBHOOK)")
        raise RetryLater(f"WeCom webhook error {code}", after=WECOM_SLOW_DOWN.get(code))


def setup(app: web.Application) -> None:
    config: Config = app[K.CONFIG]
    if config.alert_smtp_url and config.alert_email_to:
        app[K.SENDERS][EMAIL] = EmailAlertSender(config.alert_smtp_url, config.alert_email_from)
    if not config.alert_wecom_webhook:
        return
    wecom = WeComAlertSender(config.alert_wecom_webhook)
    app[K.SENDERS][WECOM] = wecom

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        yield
        with contextlib.suppress(Exception):
            await wecom.close()

    app.cleanup_ctx.append(lifecycle)
