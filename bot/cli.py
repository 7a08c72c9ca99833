"""`etp-bot`: the command line. Each command group lives in `bot/commands/` and registers its
sub-parser; heavy imports happen inside the command, so `etp-bot ask` starts fast."""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "bot.commands.ask",
    "bot.commands.chat",
    "bot.commands.serve",
    "bot.commands.db",
    "bot.commands.factories",
    "bot.commands.staff",
    "bot.commands.platforms",
    "bot.commands.keys",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etp-bot",
        description="Helpdesk and worker-helpline bot of the Ethical Supply Chain Program.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from bot.core.errors import UserError

        if isinstance(exc, UserError):
            print(f"etp-bot: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
