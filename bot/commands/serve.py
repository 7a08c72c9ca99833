"""`etp-bot serve`: the aiohttp server with every configured channel."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the server (WeChat, Telegram, staff console, /healthz, /metrics)")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0, all interfaces)")
    p.add_argument("--port", type=int, help="listening port (default: $PORT or 8080)")
    p.add_argument("--telegram-polling", action="store_true",
                   help="local use without a public URL: delete the webhook and long-poll Telegram")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from aiohttp import web

    from bot.app import create_app
    from bot.banner import banner_lines
    from bot.cli import _version
    from bot.core.config import Config
    from bot.core.logs import setup_logging
    from bot.scheduler import JOBS

    config = Config.from_env()
    port = args.port or config.port
    for line in banner_lines(config, host=args.host, port=port, telegram_polling=args.telegram_polling,
                             jobs=JOBS, version=_version()):
        print(line)
    sys.stdout.flush()  # before the first log line, also when stdout is a pipe
    setup_logging(fmt=config.log_format, timezone=config.timezone)
    app = create_app(config, telegram_polling=args.telegram_polling)
    web.run_app(app, host=args.host, port=port, access_log=None, print=None)
    return 0
