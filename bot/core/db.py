"""Database engine and sessions (SQLAlchemy 2 async): SQLite by default, PostgreSQL via asyncpg."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.core.dialect import configure_engine, engine_options
from bot.core.models import Base
from bot.core.writer import Writer


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, **engine_options(url))
        configure_engine(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer: Writer | None = None

    @property
    def writer(self) -> Writer:
        """The hot path's transactions (`bot.core.writer`), made at first use."""
        if self._writer is None:
            self._writer = Writer(self.url, self.engine)
        return self._writer

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def create_schema(self) -> None:
        """Create missing tables (the migration path is `etp-bot db upgrade`)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
        await self.engine.dispose()
