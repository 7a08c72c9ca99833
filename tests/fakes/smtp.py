"""A fake mail server: aiosmtpd's SMTP protocol on a loopback port, in the test's event loop,
keeping every message it accepts. `await fake.stop()` takes it down (connections refused) and
`await fake.start()` brings it back on the same port: a mail server that is down for a while."""
from __future__ import annotations

import asyncio
import email
from dataclasses import dataclass, field
from email.message import Message

from aiosmtpd.smtp import SMTP


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> Message:
        return email.message_from_bytes(self.raw)

    @property
    def text(self) -> str:
        part = self.message
        return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


class _Handler:
    def __init__(self, fake: "FakeSMTP") -> None:
        self.fake = fake

    async def handle_DATA(self, server, session, envelope) -> str:
        self.fake.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@dataclass
class FakeSMTP:
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> "FakeSMTP":
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SMTP(_Handler(self), hostname="fake-smtp"),
                                                "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Received]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.received) < count:
            if loop.time() > end:
                raise AssertionError(f"{len(self.received)} messages received, expected {count}")
            await asyncio.sleep(0.02)
        return self.received
