"""`etp-bot config check`: the effective configuration, validated, with secrets masked."""
from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="the configuration (environment variables)")
    csub = p.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = csub.add_parser("check", help="validate the configuration and print it with secrets masked")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from bot.core.config import Config

    problems = Config.problems()
    if problems:
        for line in problems:
            print(f"etp-bot: {line}", file=sys.stderr)
        return 1
    config = Config.from_env()
    shown = config.masked()
    width = max(len(k) for k in shown)
    for name, value in shown.items():
        print(f"{name:<{width}}  {value}")
    print("configuration is valid")
    return 0
