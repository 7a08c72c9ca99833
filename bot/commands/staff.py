"""`etp-bot staff add EMAIL --role ROLE [--password-stdin]` and `etp-bot purge`."""
from __future__ import annotations

import argparse
import asyncio
import sys

ROLES = ("helpdesk", "helpline", "integrity", "admin")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="staff console accounts")
    ssub = p.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = ssub.add_parser("add", help="create a staff account")
    add.add_argument("email", help="the member's email address, used to sign in")
    add.add_argument("--role", required=True, choices=ROLES,
                     help="the queue the member works (helpdesk, helpline, integrity) or admin (accounts)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=run_add)
    purge = sub.add_parser("purge", help="apply the retention policy (closed cases, old questions, inbox, outbox)")
    purge.set_defaults(func=run_purge)


def _read_password(args: argparse.Namespace) -> str:
    from bot.core.errors import UserError
    from bot.staff.accounts import check_password, normalize_email

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password: ")
    check_password(first, normalize_email(args.email))  # before asking a second time
    if getpass.getpass("Repeat the password: ") != first:
        raise UserError("the passwords do not match")
    return first


def run_add(args: argparse.Namespace) -> int:
    from bot.core.config import Config
    from bot.core.db import Database
    from bot.core.migrate import upgrade
    from bot.staff.accounts import check_new_account, create_account, normalize_email

    password = _read_password(args)
    check_new_account(normalize_email(args.email), args.role, password)

    async def main() -> None:
        db = Database(Config.from_env().database_url)
        try:
            await upgrade(db)
            async with db.session() as s:
                await create_account(s, args.email, args.role, password)
        finally:
            await db.close()

    asyncio.run(main())
    print(f"staff account {normalize_email(args.email)} ({args.role}) created")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    from bot.core.config import Config
    from bot.core.db import Database
    from bot.core.migrate import upgrade
    from bot.core.models import utcnow
    from bot.services.retention import purge

    config = Config.from_env()

    async def main():
        db = Database(config.database_url)
        try:
            await upgrade(db)
            return await purge(db, retention_days=config.retention_days, now=utcnow(), timezone=config.timezone)
        finally:
            await db.close()

    done = asyncio.run(main())
    print(f"purged {done.cases} closed case{'s' if done.cases != 1 else ''} older than {config.retention_days} days")
    print(f"also deleted: {done.questions} unanswered questions, {done.inbox} processed inbox rows, "
          f"{done.outbox} sent or failed outbox rows, {done.counters} stale rate counters, "
          f"{done.signatures} used WeChat signatures")
    return 0
