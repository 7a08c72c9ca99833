"""`etp-bot`: the command line. Each command group lives in `bot/commands/` and registers its
sub-parser; heavy imports happen inside the command, so `etp-bot ask` starts fast."""
from __future__ import annotations

import argparse
import sys

from bot.commands import ask, chat, db, factories, keys, platforms, serve, staff

# Each command group registers its sub-parser (heavy imports happen inside the command).
COMMAND_GROUPS = (ask, chat, serve, db, factories, staff, platforms, keys)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etp-bot",
        description="Helpdesk and worker-helpline bot of the Ethical Supply Chain Program.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
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
