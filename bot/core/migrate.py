"""Creating and upgrading the schema with Alembic, one process at a time.

`upgrade(db)` brings any database (empty, or from an earlier release) to the newest revision;
`serve` calls it at start, `etp-bot db upgrade` on demand. Several processes starting at once
take turns through `bot.core.dialect.migration_lock`.

For developers, after changing models:
    python -m bot.core.migrate revision 0003 "what changed"   (autogenerates bot/core/migrations/versions/0003_….py)
"""
from __future__ import annotations

import asyncio
import logging
import sys
import weakref
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.core.db import Database
from bot.core.dialect import migration_lock

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)


def _applied(*, ctx, step, heads, run_args) -> None:
    """One log line per revision applied (Alembic's own logger is kept quiet: `bot.core.logs`)."""
    doc = (step.up_revision.doc or "").strip().splitlines()
    log.info(f"database migrated to revision {step.up_revision_id}" + (f": {doc[0]}" if doc else ""),
             extra={"event": "migration", "revision": step.up_revision_id})


def alembic_config(connection=None, secrets=None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["secrets"] = secrets  # for migrations that re-encrypt or re-hash rows (0010)
    cfg.attributes["on_version_apply"] = (_applied,)
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


# Alembic keeps its running context in module globals: one migration at a time per event loop
# (other processes are kept out by the database lock).
_loop_locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = weakref.WeakKeyDictionary()


async def upgrade(db: Database, revision: str = "head", secrets=None) -> None:
    """`secrets` (a `bot.core.crypto.Secrets`) is needed only to upgrade a database holding cases
    of a release before 0010; a migration that needs it and lacks it stops with a message."""
    lock = _loop_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock, db.engine.connect() as conn, migration_lock(conn):
        # SQLite alters a table by copying it and dropping the original: with foreign keys on,
        # the drop would delete the rows that reference it (ON DELETE CASCADE). Off for the run
        # (a pragma that takes effect outside a transaction only), then on again.
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        try:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c, secrets), revision))
            await conn.commit()
        finally:
            if sqlite:
                await conn.rollback()
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()


async def _revision(url: str, rev_id: str, message: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        async with db.engine.connect() as conn:
            await conn.run_sync(
                lambda c: command.revision(alembic_config(c), message=message, autogenerate=True, rev_id=rev_id)
            )
    finally:
        await db.close()


if __name__ == "__main__":  # pragma: no cover - developer tool
    if len(sys.argv) != 4 or sys.argv[1] != "revision":
        sys.exit("usage: python -m bot.core.migrate revision REV_ID MESSAGE")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_revision(f"sqlite+aiosqlite:///{tmp}/rev.db", sys.argv[2], sys.argv[3]))
