"""Typed keys for what the aiohttp application carries (no globals)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:  # pragma: no cover
    from bot.core.config import Config
    from bot.outbox_worker import OutboxWorker
    from bot.runtime import Runtime
    from bot.services.outbox import Sender

CONFIG: web.AppKey["Config"] = web.AppKey("config")
RUNTIME: web.AppKey["Runtime"] = web.AppKey("runtime")
SENDERS: web.AppKey[dict[str, "Sender"]] = web.AppKey("senders")
OUTBOX: web.AppKey["OutboxWorker"] = web.AppKey("outbox")
OPTIONS: web.AppKey[dict[str, Any]] = web.AppKey("options")
