"""`etp-bot keys rotate` and `etp-bot keys migrate-cases`."""
from __future__ import annotations

import argparse
import asyncio


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="encryption keys")
    ksub = p.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    r = ksub.add_parser(
        "rotate",
        help="re-encrypt and re-hash stored data under the current ETP_SECRET_KEY "
        "(old data read with ETP_OLD_SECRET_KEYS)",
    )
    r.set_defaults(func=run_rotate)
    m = ksub.add_parser(
        "migrate-cases",
        help="seal the cases still under the server key (written before their queue had a key) to their "
        "queue's key; run once after upgrading, when each queue has a member (also done when the first "
        "member of a queue is added)",
    )
    m.set_defaults(func=run_migrate_cases)


def run_migrate_cases(args: argparse.Namespace) -> int:
    from bot.core.config import Config
    from bot.core.crypto import Secrets
    from bot.core.db import Database
    from bot.core.migrate import upgrade
    from bot.core.models.cases import QUEUES
    from bot.services.keyring import adopt_waiting_cases, queue_public

    config = Config.from_env().with_secret()
    secrets = Secrets.from_config(config)

    async def main() -> int:
        db = Database(config.database_url)
        try:
            await upgrade(db, secrets=secrets)
            for queue in QUEUES:
                async with db.session() as s:
                    if await queue_public(s, queue) is None:
                        print(f"{queue}: no queue key yet (add a first member: etp-bot staff add)")
                        continue
                    print(f"{queue}: {await adopt_waiting_cases(s, secrets, queue)} cases sealed to the queue key")
        finally:
            await db.close()
        return 0

    return asyncio.run(main())


def run_rotate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.core.config import Config
    from bot.core.crypto import Secrets
    from bot.core.db import Database
    from bot.core.errors import UserError
    from bot.core.migrate import upgrade
    from bot.services.keys import rotate_keys

    config = Config.from_env().with_secret()
    if not config.old_secret_keys:
        raise UserError("set ETP_OLD_SECRET_KEYS to the previous key(s) so old data can be read")
    secrets = Secrets.from_config(config)

    async def main() -> int:
        db = Database(config.database_url)
        try:
            await upgrade(db, secrets=secrets)
            with tqdm(unit=" rows", desc="re-encrypting", leave=False) as bar:
                report = await rotate_keys(db, secrets, lambda _t, n: bar.update(n))
        finally:
            await db.close()
        for table, n in report.rows.items():
            print(f"{table}: {n} rows")
        print(f"done: {report.total} rows now under the current key; ETP_OLD_SECRET_KEYS can be removed "
              f"after {config.code_ttl_days} days (binding codes) — see docs/operations.md")
        return 0

    return asyncio.run(main())
