"""The terminal channel: `etp-bot chat`. The same dialogue as WeChat and Telegram, with
choices shown as numbered lines; messages that staff send later are printed before the
next prompt."""
from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TextIO

from bot.core.messages import Incoming, Reply, render_numbered

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

CHANNEL = "terminal"


class TerminalSender:
    """Outbox sender for the terminal: prints to the chat that is open."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        for reply in replies:
            print(render_numbered(reply), file=self.out, end="\n\n")
        self.out.flush()


async def chat(runtime: Runtime, deliver_due: Callable[[], Awaitable[int]], *, lang: str | None = None,
               inp: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    """Read lines from `inp` and answer them on `out`; `deliver_due` delivers what the outbox
    holds for this terminal (an `OutboxWorker` over a `TerminalSender(out)`)."""
    contact = f"local:{getpass.getuser()}"
    interactive = inp.isatty()

    async def say(text: str, kind: str = "text") -> None:
        incoming = Incoming(CHANNEL, contact, uuid.uuid4().hex, kind=kind, text=text)
        async with runtime.db.session() as session:
            replies = await runtime.dialogue.handle(session, incoming)
        for reply in replies:
            print(render_numbered(reply), file=out, end="\n\n")
        await deliver_due()
        out.flush()

    await say(f"/lang {lang}" if lang else "/start")
    if interactive:
        print("(type /help for help, Ctrl-D to quit)\n", file=out)
    while True:
        line = await asyncio.to_thread(_read_line, inp, interactive)
        if line is None:
            break
        if line.strip():
            await say(line.rstrip("\n"))
        else:
            await deliver_due()


def _read_line(inp: TextIO, interactive: bool) -> str | None:
    try:
        if interactive and inp is sys.stdin:
            return input("> ")
        line = inp.readline()
        return line if line else None
    except EOFError:
        return None
