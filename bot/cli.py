"""`etp-bot`: the command line. Each command group lives in `bot/commands/` and registers its
sub-parser; heavy imports happen inside the command, so `etp-bot ask` starts fast."""
from __future__ import annotations

import argparse
import sys

from bot.commands import ask, chat, config, db, factories, kb, keys, platforms, serve, staff

# Each command group registers its sub-parser (heavy imports happen inside the command).
COMMAND_GROUPS = (ask, kb, chat, serve, db, factories, staff, platforms, keys, config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etp-bot",
        description="Helpdesk and worker-helpline bot of the Ethical Supply Chain Program.",
    )
    parser.add_argument("--version", action="version", version=f"etp-bot {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("etp-bot")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _plain_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Notices meant for the operator (the generated key file, its permissions) as plain sentences."""
    print(f"etp-bot: {message}", file=sys.stderr)


def database_problem(exc: BaseException) -> str | None:
    """One line for a database that cannot be reached at start (host, port, what failed), else None."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError | OperationalError | InterfaceError | DBAPIError | TimeoutError):
            break
        seen = seen.__cause__ or seen.__context__
    if seen is None:
        return None
    from bot.core.config import Config

    try:
        url = Config.from_env().database_url
    except Exception:
        url = ""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
        socket = u.query.get("host") if not u.host else None  # a Unix socket's directory
        if not u.drivername.startswith("postgresql"):
            where = u.database
        elif socket:
            where = f"the socket in {socket} (port {u.query.get('port') or u.port or 5432})"
        else:
            where = f"{u.host or 'localhost'}:{u.port or 5432}"
    except Exception:
        where = "the configured database"
    reason = str(getattr(seen, "orig", None) or seen).splitlines()[0] if str(seen) else type(seen).__name__
    return f"cannot reach the database at {where} (ETP_DATABASE_URL): {reason}"


def main(argv: list[str] | None = None) -> int:
    import warnings

    from bot.core.config import KeyFileWarning

    warnings.showwarning = _plain_warning
    warnings.simplefilter("always", KeyFileWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from bot.core.config import ConfigError
        from bot.core.errors import UserError

        if isinstance(exc, UserError | ConfigError):
            print(f"etp-bot: {exc}", file=sys.stderr)
            return 2
        problem = database_problem(exc)
        if problem:
            print(f"etp-bot: {problem}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
