"""Shared fixtures: a real database (SQLite in a temp dir, and PostgreSQL when
ETP_TEST_POSTGRES_URL is set: always in CI), a runtime over it, a clock tests can move."""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.config import Config

# fake WeChat/Telegram servers and a running app, for every test folder (tests/fakes/fixtures.py)
pytest_plugins = ["tests.fakes.fixtures"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"
SECRET = "test-secret-key-0123456789abcdefghijklmnop"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a dependency is missing; in CI a missing dependency is a failure."""
    if not condition:
        if IN_CI:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'etp.db'}"
    url = os.environ.get("ETP_TEST_POSTGRES_URL")
    require(bool(url), "ETP_TEST_POSTGRES_URL is not set (PostgreSQL tests)")
    return url


@pytest.fixture
async def clean_database(database_url: str) -> str:
    """The database URL, with every table of a previous test dropped."""
    if database_url.startswith("postgresql"):
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    return database_url


@pytest.fixture
async def db(config: Config):
    """A database with every table, without a runtime (for data-layer tests)."""
    from bot.core.db import Database

    database = Database(config.database_url)
    await database.create_schema()
    yield database
    await database.close()


@pytest.fixture
def config(clean_database: str, tmp_path: Path) -> Config:
    return replace(
        Config.from_env({}),
        database_url=clean_database,
        secret_key=SECRET,
        key_file=str(tmp_path / "etp-bot.key"),
    )


class Clock:
    """A settable clock: `clock.now`, `clock.advance(timedelta)`."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 11:00 in Hong Kong

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def runtime(config: Config, clock: Clock):
    from bot.runtime import build_runtime

    rt = await build_runtime(config)
    rt.services.clock = clock
    yield rt
    await rt.close()


class ChatDriver:
    """Talks to the dialogue as one chat account, the way a channel adapter does."""

    def __init__(self, runtime, channel: str = "terminal", contact: str = "user-1", *,
                 media_later: bool | None = None) -> None:
        self.runtime, self.channel, self.contact = runtime, channel, contact
        # as the channel says: WeChat and Telegram can fetch a photo later, the terminal cannot
        self.media_later = channel != "terminal" if media_later is None else media_later
        self.replies: list = []
        self._n = 0

    async def send(self, text: str = "", *, kind: str = "text", **kw) -> list:
        from bot.core.messages import Incoming

        self._n += 1
        incoming = Incoming(self.channel, self.contact, f"{self.contact}-{self._n}", kind=kind, text=text,
                            received_at=self.runtime.services.clock(), **{"media_later": self.media_later, **kw})
        async with self.runtime.db.session() as session:
            self.replies = await self.runtime.dialogue.handle(session, incoming)
        return self.replies

    async def choose(self, choice_id: str) -> list:
        return await self.send(choice_id, kind="choice")

    @property
    def text(self) -> str:
        """All reply texts of the last turn, with choice labels, as one string."""
        parts = []
        for r in self.replies:
            parts.append(r.text)
            parts += [c.label for c in r.choices]
        return "\n".join(parts)

    @property
    def choice_ids(self) -> list[str]:
        return [c.id for r in self.replies for c in r.choices]


@pytest.fixture
def chat(runtime) -> ChatDriver:
    return ChatDriver(runtime)
