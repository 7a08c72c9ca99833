"""`etp-bot chat`: talk to the bot in the terminal."""
from __future__ import annotations

import argparse
import asyncio
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="a conversation in the terminal (same dialogue as WeChat and Telegram)")
    p.add_argument("--lang", choices=["en", "zh"], help="start in this language")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.core.config import Config
    from bot.core.logs import setup_logging
    from bot.outbox_worker import OutboxWorker
    from bot.runtime import build_runtime
    from integrations.terminal import CHANNEL, TerminalSender, chat

    setup_logging(quiet=True)

    async def main() -> None:
        runtime = await build_runtime(Config.from_env())
        try:
            worker = OutboxWorker(runtime.db, runtime.services.secrets, {CHANNEL: TerminalSender(sys.stdout)})
            await chat(runtime, worker.deliver_due, lang=args.lang)
        finally:
            await runtime.close()

    asyncio.run(main())
    return 0
