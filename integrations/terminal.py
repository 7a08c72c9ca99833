"""The terminal channel: `etp-bot chat`. The same dialogue as WeChat and Telegram, with
choices shown as numbered lines.

On a terminal the prompt is prompt_toolkit's: line editing (arrows, Home/End, Ctrl-A/E/K/U),
wide characters (Chinese input methods), history with the Up key, and messages that staff send
while the chat is open printed above the prompt. The history of this session holds every line;
only commands (lines starting with `/`) are kept in the history file (`history_path()`), so
nothing a reporter writes stays on disk. Without a terminal (`etp-bot chat < file`) lines are read
plainly and what staff sent is printed after each answer.
"""
from __future__ import annotations

import asyncio
import getpass
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.core.messages import Incoming, Reply, render_numbered

if TYPE_CHECKING:  # pragma: no cover
    from bot.runtime import Runtime

CHANNEL = "terminal"
PROMPT = "> "
RELAY_EVERY = 1.0  # seconds between looks at the outbox while the prompt waits


def history_path(env: dict[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/etp-bot/chat-history` (default `~/.local/state/etp-bot/chat-history`)."""
    env = os.environ if env is None else env
    state = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "etp-bot" / "chat-history"


def contact_id() -> str:
    return f"local:{getpass.getuser()}"


class TerminalSender:
    """Outbox sender for the terminal: prints to the chat that is open (to `out`, or to whatever
    `sys.stdout` is at the time, so that prompt_toolkit's `patch_stdout` puts it above the prompt)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        out = self.out or sys.stdout
        for reply in replies:
            print(render_numbered(reply), file=out, end="\n\n")
        out.flush()


async def chat(runtime: Runtime, deliver_due: Callable[[], Awaitable[int]], *, lang: str | None = None,
               inp: TextIO | None = None, out: TextIO | None = None) -> None:
    """Read lines from `inp` (standard input) and answer them on `out` (standard output);
    `deliver_due` delivers what the outbox holds for this terminal (an `OutboxWorker` over a
    `TerminalSender`)."""
    inp = inp or sys.stdin
    interactive = inp is sys.stdin and out is None and sys.stdin.isatty() and sys.stdout.isatty()
    contact = contact_id()
    lock = asyncio.Lock()  # one delivery pass at a time: the relay and the answers share the outbox

    async def deliver() -> None:
        async with lock:
            await deliver_due()

    async def say(text: str, kind: str = "text") -> None:
        incoming = Incoming(CHANNEL, contact, uuid.uuid4().hex, kind=kind, text=text)
        async with runtime.db.session() as session:
            replies = await runtime.dialogue.handle(session, incoming)
        stream = out or sys.stdout
        for reply in replies:
            print(render_numbered(reply), file=stream, end="\n\n")
        stream.flush()
        await deliver()

    if interactive:
        await _prompt_loop(say, deliver, lang)
        return
    await say(f"/lang {lang}" if lang else "/start")
    while True:
        line = await asyncio.to_thread(inp.readline)
        if not line:
            break
        if line.strip():
            await say(line.rstrip("\n"))
        else:
            await deliver()


async def _prompt_loop(say, deliver, lang: str | None) -> None:
    session: PromptSession[str] = PromptSession(history=CommandHistory(history_path()))

    async def relay() -> None:  # staff replies while the prompt waits
        while True:
            await asyncio.sleep(RELAY_EVERY)
            await deliver()

    with patch_stdout(raw=True):
        await say(f"/lang {lang}" if lang else "/start")
        print("(type /help for help, Ctrl-D to quit)\n")
        task = asyncio.create_task(relay(), name="terminal-relay")
        try:
            while True:
                try:
                    line = await session.prompt_async(PROMPT)
                except KeyboardInterrupt:  # Ctrl-C clears the line, as in a shell
                    continue
                except EOFError:
                    break
                if line.strip():
                    await say(line)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class CommandHistory(FileHistory):
    """Every line in this session's history; only commands (`/…`) written to the file (mode 0600)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            path.touch(mode=0o600)
        super().__init__(str(path))

    def store_string(self, string: str) -> None:
        if string.lstrip().startswith("/"):
            super().store_string(string)
