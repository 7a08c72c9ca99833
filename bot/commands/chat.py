"""`etp-bot chat`: talk to the bot in the terminal."""
from __future__ import annotations

import argparse
import asyncio


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="a conversation in the terminal (same dialogue as WeChat and Telegram)")
    p.add_argument("--lang", choices=["en", "zh"], help="start in this language")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import Config
    from bot.logs import setup_logging
    from bot.runtime import build_runtime
    from integrations.terminal import chat

    setup_logging(quiet=True)

    async def main() -> None:
        runtime = await build_runtime(Config.from_env())
        try:
            await chat(runtime, lang=args.lang)
        finally:
            await runtime.close()

    asyncio.run(main())
    return 0
