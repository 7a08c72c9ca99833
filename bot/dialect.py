"""The one place where SQL differs between SQLite and PostgreSQL."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_MIGRATION_LOCK_KEY = 0x657470  # "etp"


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any], conflict: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row was inserted (first writer wins)."""
    name = session.bind.dialect.name if session.bind is not None else "sqlite"
    module = postgresql if name == "postgresql" else sqlite
    stmt = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = await session.execute(stmt)
    return bool(result.rowcount)


@asynccontextmanager
async def migration_lock(conn: AsyncConnection) -> AsyncIterator[None]:
    """Serialise schema migrations across processes: a PostgreSQL advisory lock held by this
    connection. SQLite serialises writers on the database file itself."""
    if conn.dialect.name != "postgresql":
        yield
        return
    await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
    await conn.commit()
    try:
        yield
    finally:
        await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        await conn.commit()
