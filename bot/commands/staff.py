"""`etp-bot staff add EMAIL --role ROLE [--password-stdin]`, `etp-bot staff reset-2fa EMAIL`,
`etp-bot staff reset EMAIL` and `etp-bot purge`."""
from __future__ import annotations

import argparse
import asyncio
import sys

ROLES = ("helpdesk", "helpline", "integrity", "admin")
TWO_FACTORS = ("Every staff account signs in with its password and a 6-digit code from an authenticator app "
               "(TOTP). A new account sets its app up at its first sign-in, from a QR code on the console; "
               "administrators can reset a member from the console's Accounts page.")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="staff console accounts", description=TWO_FACTORS)
    ssub = p.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = ssub.add_parser("add", help="create a staff account (it sets up its second factor at its first sign-in)",
                          description=TWO_FACTORS)
    add.add_argument("email", help="the member's email address, used to sign in")
    add.add_argument("--role", required=True, choices=ROLES,
                     help="the queue the member works (helpdesk, helpline, integrity) or admin (accounts)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=run_add)
    grant = ssub.add_parser("grant", help="give your queue's key to another member of the queue "
                            "(your password is asked, or read from standard input)")
    grant.add_argument("email", help="the member to give the queue key to")
    grant.add_argument("--by", required=True, metavar="EMAIL", help="you: a member who holds the queue key")
    grant.add_argument("--password-stdin", action="store_true", help="read your password from standard input")
    grant.set_defaults(func=run_grant)
    r2 = ssub.add_parser("reset-2fa", help="remove an account's second factor (a lost phone): it sets up a new "
                         "one at its next sign-in, with its password; its sessions end")
    r2.add_argument("email", help="the account's email address")
    r2.set_defaults(func=run_reset_2fa)
    rs = ssub.add_parser("reset", help="reset an account (a forgotten password): prints a temporary password, good "
                         "once for 3 days, to choose a new password and set up the second factor again")
    rs.add_argument("email", help="the account's email address")
    rs.set_defaults(func=run_reset)
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
    from bot.core.crypto import Secrets
    from bot.core.db import Database
    from bot.core.migrate import upgrade
    from bot.services import keyring
    from bot.staff.accounts import check_new_account, create_account, normalize_email

    password = _read_password(args)
    check_new_account(normalize_email(args.email), args.role, password)
    config = Config.from_env().with_secret()
    secrets = Secrets.from_config(config)

    async def main() -> str | None:
        db = Database(config.database_url)
        try:
            await upgrade(db, secrets=secrets)
            async with db.session() as s:
                user = await create_account(s, args.email, args.role, password)
                return await keyring.enrol(s, secrets, user, password)
        finally:
            await db.close()

    recovery = asyncio.run(main())
    print(f"staff account {normalize_email(args.email)} ({args.role}) created; it sets up its second factor "
          "(an authenticator app) at its first sign-in")
    print(f"recovery key (shown this once; give it to the member, who keeps it apart from the password): {recovery}")
    return 0


def run_grant(args: argparse.Namespace) -> int:
    from bot.core.config import Config
    from bot.core.db import Database
    from bot.core.errors import UserError
    from bot.core.migrate import upgrade
    from bot.services import keyring
    from bot.staff.accounts import authenticate, normalize_email

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass(f"Password of {args.by}: ")
    config = Config.from_env()

    async def main() -> None:
        from sqlalchemy import select

        from bot.core.models import utcnow
        from bot.core.models.cases import StaffUser

        db = Database(config.database_url)
        try:
            await upgrade(db)
            granter = await authenticate(db, args.by, password, utcnow())
            if granter is None:
                raise UserError(f"wrong password for {args.by}, or the account is locked or disabled")
            async with db.session() as s:
                member = (await s.execute(select(StaffUser).where(
                    StaffUser.email == normalize_email(args.email)))).scalar_one_or_none()
                if member is None:
                    raise UserError(f"no staff account {args.email}")
                await keyring.grant(s, granter, await keyring.unlock(s, granter.id, password), member.id)
        finally:
            await db.close()

    asyncio.run(main())
    print(f"{normalize_email(args.email)} now holds the queue key")
    return 0


def _on_account(email: str, work) -> str:
    """Run `work(session, user, now)` on the account of `email`; what it returns."""
    from sqlalchemy import select

    from bot.core.config import Config
    from bot.core.db import Database
    from bot.core.errors import UserError
    from bot.core.migrate import upgrade
    from bot.core.models import utcnow
    from bot.core.models.cases import StaffUser
    from bot.staff.accounts import normalize_email

    address = normalize_email(email)

    async def main():
        db = Database(Config.from_env().database_url)
        try:
            await upgrade(db)
            async with db.session() as s:
                user = (await s.execute(select(StaffUser).where(StaffUser.email == address))).scalar_one_or_none()
                if user is None:
                    raise UserError(f"no staff account {address}")
                return await work(s, user, utcnow())
        finally:
            await db.close()

    return asyncio.run(main())


def run_reset_2fa(args: argparse.Namespace) -> int:
    from bot.staff.accounts import reset_second_factor

    async def work(session, user, now):
        await reset_second_factor(session, user)
        return user.email

    email = _on_account(args.email, work)
    print(f"second factor of {email} removed: it sets up a new one at its next sign-in; its sessions have ended")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    from bot.staff.accounts import TEMPORARY_TTL, reset_account

    async def work(session, user, now):
        return await reset_account(session, user, now)

    temporary = _on_account(args.email, work)
    print(temporary)
    print(f"temporary password of {args.email.strip().lower()}, good for one sign-in within "
          f"{TEMPORARY_TTL.days} days: the member then chooses a new password and sets up the second factor "
          "again; a member of its queue must grant it access to the queue again", file=sys.stderr)
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
