"""How features plug into the dialogue: commands (typed or chosen) and multi-step flows.

A feature module registers itself on import, e.g.:

    @command("status")  # its aliases are in handlers/commands.toml
    async def show_status(ctx: Context, arg: str) -> list[Reply]: ...

    @flow("helpline")
    async def helpline_step(ctx: Context, inp: Input) -> list[Reply]: ...

`handlers.dialogue` imports every feature package and lists them in `FEATURES`.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers import command_table

if TYPE_CHECKING:  # pragma: no cover
    from bot.core.messages import Reply
    from handlers.context import Context, Input

CommandHandler = Callable[["Context", str], Awaitable[list["Reply"]]]
FlowHandler = Callable[["Context", "Input"], Awaitable[list["Reply"]]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: CommandHandler
    aliases: tuple[str, ...]
    # aliases that take an argument after them ("绑定 CODE"), matched as a prefix
    prefix_aliases: tuple[str, ...]
    # runs even while a flow is active (cancel, menu, help, lang)
    interrupts: bool


COMMANDS: dict[str, Command] = {}
FLOWS: dict[str, FlowHandler] = {}
# what the user is told when a flow's state expires (None: nothing, e.g. a follow-up whose
# messages already reached the case)
FLOW_EXPIRED_TEXT: dict[str, str | None] = {}
# functions that recognise a message on its own (e.g. a case reference): text -> (command, arg)
Matcher = Callable[[str], "tuple[Command, str] | None"]
MATCHERS: list[Matcher] = []


def matcher(fn: Matcher) -> Matcher:
    MATCHERS.append(fn)
    return fn


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lower())


def command(name: str, *, interrupts: bool = False) -> Callable[[CommandHandler], CommandHandler]:
    """Register the handler of a command of the command table (`handlers/commands.toml`), which
    gives its aliases."""
    entry = command_table.table().entry(name)

    def register(fn: CommandHandler) -> CommandHandler:
        if name in COMMANDS:
            raise ValueError(f"command {name!r} registered twice")
        COMMANDS[name] = Command(
            name, fn, tuple(_norm(a) for a in entry.aliases), tuple(_norm(a) for a in entry.prefix_aliases), interrupts
        )
        return fn

    return register


def check_table() -> None:
    """Every command of the table has a handler (the handlers themselves can only name commands
    of the table)."""
    missing = sorted(set(command_table.table().commands) - set(COMMANDS))
    if missing:
        raise command_table.CommandTableError(f"commands.toml lists commands no feature handles: {', '.join(missing)}")


def flow(name: str, *, expired_text: str | None = "draft_expired") -> Callable[[FlowHandler], FlowHandler]:
    def register(fn: FlowHandler) -> FlowHandler:
        if name in FLOWS:
            raise ValueError(f"flow {name!r} registered twice")
        FLOWS[name] = fn
        FLOW_EXPIRED_TEXT[name] = expired_text
        return fn

    return register


_SLASH = re.compile(r"^/([a-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)


def parse_command(text: str) -> tuple[Command, str] | None:
    """Recognise a command typed as `/name arg`, as an alias ("my status"), or as a prefix alias
    with an argument ("绑定 ABCD-1234"). Returns the command and its argument."""
    raw = text.strip()
    m = _SLASH.match(raw)
    if m:
        cmd = COMMANDS.get(m.group(1).lower())
        return (cmd, (m.group(2) or "").strip()) if cmd else None
    norm = _norm(raw).rstrip("!！?？.。")
    for cmd in COMMANDS.values():
        if norm in cmd.aliases:
            return cmd, ""
    for cmd in COMMANDS.values():
        for p in cmd.prefix_aliases:
            if norm.startswith(p) and len(norm) > len(p):
                return cmd, raw.strip()[len(p):].strip(" :：")
    return None


def parse_action(choice_id: str) -> tuple[Command, str] | None:
    """A choice id is `name` or `name:arg`."""
    name, _, arg = choice_id.partition(":")
    cmd = COMMANDS.get(name)
    return (cmd, arg) if cmd else None
