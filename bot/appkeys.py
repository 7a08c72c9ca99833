"""Typed keys for what the aiohttp application carries (no globals)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .outbox import OutboxWorker, Sender
    from .runtime import Runtime

CONFIG: web.AppKey["Config"] = web.AppKey("config")
RUNTIME: web.AppKey["Runtime"] = web.AppKey("runtime")
SENDERS: web.AppKey[dict[str, "Sender"]] = web.AppKey("senders")
OUTBOX: web.AppKey["OutboxWorker"] = web.AppKey("outbox")
OPTIONS: web.AppKey[dict[str, Any]] = web.AppKey("options")
