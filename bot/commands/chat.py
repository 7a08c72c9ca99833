"""`etp-bot chat`: talk to the bot in the terminal."""
from __future__ import annotations

import argparse
import asyncio


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chat", help="a conversation in the terminal (same dialogue as WeChat and Telegram)",
        description="A conversation in the terminal through the same dialogue as WeChat and Telegram. On a "
        "terminal: line editing, the Up key for earlier lines (commands are kept in "
        "$XDG_STATE_HOME/etp-bot/chat-history, by default ~/.local/state/etp-bot/chat-history; nothing else "
        "typed is written to disk), and staff replies shown while the chat is open. Without a terminal, "
        "reads one message a line from standard input.")
    p.add_argument("--lang", choices=["en", "zh"], help="start in this language (default: asked at first contact)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.core.config import Config
    from bot.core.logs import setup_logging
    from bot.outbox_worker import OutboxWorker
    from bot.runtime import build_runtime
    from integrations.terminal import CHANNEL, TerminalSender, chat

    config = Config.from_env()
    setup_logging(quiet=True, fmt=config.log_format, timezone=config.timezone)

    async def main() -> None:
        runtime = await build_runtime(config)
        try:
            worker = OutboxWorker(runtime.db, runtime.services.secrets, {CHANNEL: TerminalSender()})
            await chat(runtime, worker.deliver_due, lang=args.lang)
        finally:
            await runtime.close()

    asyncio.run(main())
    return 0
