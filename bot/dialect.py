"""The one place where SQL differs between SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any], conflict: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row was inserted (first writer wins)."""
    name = session.bind.dialect.name if session.bind is not None else "sqlite"
    module = postgresql if name == "postgresql" else sqlite
    stmt = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = await session.execute(stmt)
    return bool(result.rowcount)


def _insert(session: AsyncSession, table: Table):  # noqa: ANN202
    name = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql if name == "postgresql" else sqlite).insert(table)


async def insert_ignore_returning(session: AsyncSession, table: Table, values: dict[str, Any],
                                  conflict: list[str], column: Any) -> Any | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING column: the new row's value, or None when a row
    with the same conflict key already existed (one statement instead of insert + select)."""
    stmt = _insert(session, table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    return (await session.execute(stmt.returning(column))).scalar_one_or_none()


async def upsert_returning(session: AsyncSession, table: Table, values: dict[str, Any], conflict: list[str],
                           set_: dict[str, Any], column: Any) -> Any:
    """INSERT … ON CONFLICT DO UPDATE SET … RETURNING column, in one statement (counters)."""
    stmt = _insert(session, table).values(**values).on_conflict_do_update(index_elements=conflict, set_=set_)
    return (await session.execute(stmt.returning(column))).scalar_one()
