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
    from bot.core.migrate import upgrade

    config = Config.from_env().with_secret()

    async def main() -> None:
        db = Database(config.database_url)
        try:
            await upgrade(db, secrets=Secrets(config.secret_key, config.old_secret_keys))
        finally:
            await db.close()

    asyncio.run(main())
    print("database is up to date")
    return 0
