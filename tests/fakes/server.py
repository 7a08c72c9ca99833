"""What both fake platforms share: an aiohttp app on a loopback port, a record of calls, and
answers scripted per method (`fail`, `hang`)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Call:
    method: str  # API method ("sendMessage") or path ("/cgi-bin/message/custom/send")
    params: dict[str, Any]
    scripted: bool = False  # answered with a scripted error, so not delivered


@dataclass
class Scripted:
    """An answer given instead of the normal one, `times` times (None: until cleared)."""

    status: int
    body: dict[str, Any]
    times: int | None = 1


@dataclass
class FakeServer:
    calls: list[Call] = field(default_factory=list)
    _scripted: dict[str, list[Scripted]] = field(default_factory=dict)
    _hang: dict[str, asyncio.Event] = field(default_factory=dict)
    _server: TestServer | None = None

    def build(self) -> web.Application:  # pragma: no cover - each fake defines its routes
        raise NotImplementedError

    async def start(self) -> "FakeServer":
        self._server = TestServer(self.build(), host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        for event in self._hang.values():
            event.set()
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    # -- scripting ------------------------------------------------------------------------------
    def script(self, method: str, status: int, body: dict[str, Any], times: int | None = 1) -> None:
        self._scripted.setdefault(method, []).append(Scripted(status, body, times))

    def clear(self, method: str | None = None) -> None:
        if method is None:
            self._scripted.clear()
        else:
            self._scripted.pop(method, None)

    def hang(self, method: str) -> asyncio.Event:
        """Calls of `method` are recorded and then never answered until the event is set."""
        self._hang[method] = asyncio.Event()
        return self._hang[method]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Every call of `method`, including those answered with a scripted error."""
        return [c.params for c in self.calls if c.method == method]

    def delivered(self, method: str) -> list[dict[str, Any]]:
        """Calls of `method` that got the normal (successful) answer."""
        return [c.params for c in self.calls if c.method == method and not c.scripted]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until `method` was called `count` times (the outbox delivers in the background)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.calls_to(method)) < count:
            if loop.time() > end:
                raise AssertionError(f"{method} called {len(self.calls_to(method))} times, expected {count}")
            await asyncio.sleep(0.02)
        return self.calls_to(method)

    async def _record(self, method: str, params: dict[str, Any]) -> web.Response | None:
        """Record the call; a scripted answer (or a hang) if one is set, else None."""
        call = Call(method, params)
        self.calls.append(call)
        if method in self._hang:
            await self._hang[method].wait()
        queue = self._scripted.get(method)
        if queue:
            call.scripted = True
            scripted = queue[0]
            if scripted.times is not None:
                scripted.times -= 1
                if scripted.times <= 0:
                    queue.pop(0)
            return web.json_response(scripted.body, status=scripted.status)
        return None
