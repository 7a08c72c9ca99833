"""The one place where SQL differs between SQLite and PostgreSQL."""
from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Table, any_, bindparam, event, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

_MIGRATION_LOCK_KEY = 0x657470  # "etp"


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any], conflict: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row was inserted (first writer wins)."""
    result = await session.execute(_insert_ignore(_dialect_name(session), table, tuple(conflict), None), values)
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


def _dialect_name(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _insert(session: AsyncSession, table: Table):
    return (postgresql if _dialect_name(session) == "postgresql" else sqlite).insert(table)


@functools.cache
def _insert_ignore(dialect: str, table: Table, conflict: tuple[str, ...], returning: str | None):
    """Built once per table: the values are the execution's parameters, so a hot path (the inbox)
    does not pay for building and hashing a new statement each time."""
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table).on_conflict_do_nothing(
        index_elements=list(conflict))
    return stmt.returning(table.c[returning]) if returning else stmt


async def insert_ignore_returning(session: AsyncSession, table: Table, values: dict[str, Any],
                                  conflict: list[str], column: Any) -> Any | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING column: the new row's value, or None when a row
    with the same conflict key already existed (one statement instead of insert + select)."""
    stmt = _insert_ignore(_dialect_name(session), table, tuple(conflict), column.expression.key)
    return (await session.execute(stmt, values)).scalar_one_or_none()


async def upsert_returning(session: AsyncSession, table: Table, values: dict[str, Any], conflict: list[str],
                           set_: dict[str, Any], column: Any) -> Any:
    """INSERT … ON CONFLICT DO UPDATE SET … RETURNING column, in one statement (counters)."""
    stmt = _insert(session, table).values(**values).on_conflict_do_update(index_elements=conflict, set_=set_)
    return (await session.execute(stmt.returning(column))).scalar_one()


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {}
    return {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}


def sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
    cur.execute("PRAGMA synchronous=FULL")  # a commit survives a power loss (WAL's own default is FULL too)
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def configure_engine(engine: AsyncEngine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)


# -- set-based statements for batches (the inbox's group commits) -------------------------------------
def _pg_type(column: Any) -> str:
    return column.type.compile(dialect=postgresql.dialect())


@functools.cache
def _insert_ignore_many(dialect: str, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...],
                        returning: tuple[str, ...]):
    if dialect != "postgresql":
        # SQLAlchemy renders an executemany with RETURNING as multi-row VALUES ("insertmanyvalues")
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        return stmt.returning(*[table.c[c] for c in returning])
    # PostgreSQL: one statement whatever the batch size (one prepared statement), arrays unnested
    arrays = ", ".join(f"CAST(:{c} AS {_pg_type(table.c[c])}[])" for c in columns)
    return text(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
                f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {', '.join(returning)}")


async def insert_ignore_many(session: AsyncSession, table: Table, rows: list[dict[str, Any]], conflict: list[str],
                             returning: list[str]) -> list[Any]:
    """INSERT of many rows … ON CONFLICT DO NOTHING RETURNING `returning` of the rows inserted, in
    one statement. Give rows in one order in every process (sorted by the conflict key) so two
    batches never wait for each other crosswise."""
    if not rows:
        return []
    columns = tuple(rows[0])
    dialect = _dialect_name(session)
    stmt = _insert_ignore_many(dialect, table, columns, tuple(conflict), tuple(returning))
    if dialect != "postgresql":
        return list(await session.execute(stmt, rows))
    return list(await session.execute(stmt, {c: [r[c] for r in rows] for c in columns}))


@functools.cache
def _update_many(dialect: str, table: Table, key: str, columns: tuple[str, ...]):
    if dialect != "postgresql":  # an executemany: SQLite runs it in-process, no round trip a row
        return update(table).where(table.c[key] == bindparam(f"b_{key}")).values(
            {c: bindparam(f"b_{c}") for c in columns})
    # PostgreSQL: one statement whatever the batch size (one prepared statement), arrays unnested,
    # instead of an execution a row
    names = (key, *columns)
    arrays = ", ".join(f"CAST(:{c} AS {_pg_type(table.c[c])}[])" for c in names)
    return text(f"UPDATE {table.name} SET {', '.join(f'{c} = v.{c}' for c in columns)} "
                f"FROM unnest({arrays}) AS v({', '.join(names)}) WHERE {table.name}.{key} = v.{key}")


async def update_many(session: AsyncSession, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """UPDATE of many rows, each found by its `key` column, to its own values of the other
    columns (every row gives the same columns), in one statement. Give rows in one order in
    every process (sorted by key), as for `insert_ignore_many`."""
    if not rows:
        return
    columns = tuple(c for c in rows[0] if c != key)
    dialect = _dialect_name(session)
    stmt = _update_many(dialect, table, key, columns)
    if dialect != "postgresql":
        await session.execute(stmt, [{f"b_{c}": v for c, v in row.items()} for row in rows])
    else:
        await session.execute(stmt, {c: [row[c] for row in rows] for c in (key, *columns)})


def any_of(column: Any, name: str, dialect: str) -> Any:
    """`column` is one of the list given as parameter `name`: `= ANY(array)` on PostgreSQL (one
    prepared statement whatever the list's length), an expanding IN on SQLite."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))
