"""`etp-bot db upgrade`."""
from __future__ import annotations

import argparse
import asyncio


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database schema")
    dsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = dsub.add_parser("upgrade", help="create or migrate the database schema")
    up.set_defaults(func=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from bot.core.config import Config
    from bot.core.crypto import Secrets
    from bot.core.db import Database
    from bot.core.migrate import current_revision, upgrade

    config = Config.from_env().with_secret()

    async def main() -> tuple[str | None, str | None]:
        db = Database(config.database_url)
        try:
            before = await current_revision(db)
            await upgrade(db, secrets=Secrets.from_config(config))
            return before, await current_revision(db)
        finally:
            await db.close()

    before, after = asyncio.run(main())
    if before is None:
        print(f"database created at revision {after}")
    elif before != after:
        print(f"database upgraded from revision {before} to {after}")
    else:
        print(f"database is up to date (revision {after})")
    return 0
