"""The hot path's transactions (the inbox's group commits), apart from the rest of the app.

SQLite: one writer connection. `BEGIN IMMEDIATE` (which may wait for another writer) and
`COMMIT` (the fsync: `synchronous=FULL`, durable across power loss) run in the connection's
thread; every statement in between runs synchronously on the caller's thread: holding the write
lock, nothing can make them wait, and a statement costs microseconds instead of a thread hop
each. Batches queue on an asyncio lock rather than in SQLite's sleeping busy handler.

PostgreSQL: its own small pool without the pre-ping (a round trip per checkout): a broken
connection fails the batch, which the group commit runs once more on a fresh connection.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.core.dialect import sqlite_pragmas


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread while `inline` is set."""

    inline = False

    async def _execute(self, fn, *args, **kwargs):
        if self.inline:
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)


def _inline_creator(path: str):
    async def connect() -> InlineConnection:
        # used from two threads, never at once: the connection's own, and the caller's between
        # BEGIN IMMEDIATE and COMMIT (while the connection's thread waits for work)
        conn = InlineConnection(lambda: sqlite3.connect(path, check_same_thread=False), 64)
        return await conn

    return connect


class Writer:
    def __init__(self, url: str, fallback: AsyncEngine) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._lock = asyncio.Lock()
        self.inline = self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:")
        if self.inline:
            self.engine = create_async_engine(url, async_creator=_inline_creator(parsed.database),
                                              pool_size=1, max_overflow=0)
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
        elif self.dialect == "postgresql":
            self.engine = create_async_engine(url, pool_size=4, max_overflow=4, pool_pre_ping=False)
        else:
            self.engine = fallback
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        if not self.inline:
            async with self.sessions() as s, s.begin():
                yield s
            return
        async with self._lock, self.sessions() as s:
            conn = await s.connection()
            raw: Any = (await conn.get_raw_connection()).driver_connection
            await conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, in the connection's thread
            raw.inline = True
            try:
                yield s
                await s.flush()
            except BaseException:
                raw.inline = False
                await s.rollback()
                raise
            raw.inline = False
            await s.commit()  # in the connection's thread

    async def close(self) -> None:
        if self.engine is not None and (self.inline or self.dialect == "postgresql"):
            await self.engine.dispose()
