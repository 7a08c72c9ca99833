"""The aiohttp application factory: `create_app(config) -> web.Application`.

Start-up order (cleanup_ctx): runtime (database migrated, knowledge base, dialogue) → channels
(each registers its routes' resources and its outbox sender) → outbox worker and schedules.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from bot import edge, metrics_view, scheduler, staff
from bot.core.config import Config
from bot.core.logs import request_id
from bot.health import healthz
from bot.outbox_worker import OutboxWorker
from bot.runtime import build_runtime
from integrations import alerts, telegram, wechat
from integrations import appkeys as K

# What the server is made of: each `setup(app)` adds its routes and a cleanup_ctx of its own.
# The channels register their outbox sender in `app[K.SENDERS]`; the outbox worker starts after them.
Plugin = Callable[[web.Application], None]
PLUGINS: tuple[Plugin, ...] = (
    wechat.setup,  # /wechat
    telegram.setup,  # /telegram (or long polling)
    alerts.setup,  # e-mail and WeCom staff alerts (outbox senders)
    staff.setup,  # /staff/ console
    metrics_view.setup,  # /metrics
    scheduler.setup,  # periodic jobs (bot.scheduler.JOBS)
)


@web.middleware
async def request_ids(request: web.Request, handler):
    token = request_id.set(request.headers.get("X-Request-Id") or os.urandom(8).hex())
    try:
        return await handler(request)
    finally:
        request_id.reset(token)


def create_app(
    config: Config, *, telegram_polling: bool = False, plugins: tuple[Plugin, ...] | None = None
) -> web.Application:
    # the proxy's X-Forwarded-* first (a request cannot be cloned once its body is read)
    proxies = edge.trusted_proxies(edge.networks(config.trusted_proxies))
    middlewares = [request_ids, *([proxies] if proxies else []), edge.bounded_body]
    app = web.Application(middlewares=middlewares, client_max_size=config.max_body_bytes)
    app[K.CONFIG] = config
    app[K.SENDERS] = {}
    app[K.OPTIONS] = {"telegram_polling": telegram_polling}
    app.cleanup_ctx.append(_runtime)
    for setup in PLUGINS if plugins is None else plugins:
        setup(app)
    app.cleanup_ctx.append(_outbox)
    app.router.add_get("/healthz", healthz)
    return app


async def _runtime(app: web.Application) -> AsyncIterator[None]:
    runtime = await build_runtime(app[K.CONFIG])
    app[K.RUNTIME] = runtime
    yield
    await runtime.close()


async def _outbox(app: web.Application) -> AsyncIterator[None]:
    runtime = app[K.RUNTIME]
    worker = OutboxWorker(runtime.db, runtime.services.secrets, app[K.SENDERS])
    app[K.OUTBOX] = worker
    task = asyncio.create_task(worker.run(), name="outbox")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
