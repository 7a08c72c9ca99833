"""A broken PostgreSQL connection under the hot path (the server restarted, a proxy dropped it):
the group commit has no pre-ping, so the batch fails on it and is run once more on a fresh
connection, before anything is acknowledged; the user gets the answer."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from bot.core.db import Database
from bot.core.models import messaging as st
from bot.core.models.messaging import InboxMessage
from tests.conftest import require

from .conftest import count, runtime_of


@pytest.fixture
def database_url() -> str:
    """PostgreSQL only (overrides the suite's SQLite/PostgreSQL parametrisation): SQLite has no
    server connection to break."""
    url = os.environ.get("ETP_TEST_POSTGRES_URL")
    require(bool(url), "ETP_TEST_POSTGRES_URL is not set (a broken server connection needs PostgreSQL)")
    return url


async def test_a_broken_database_connection_is_retried_before_answering(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        runtime = runtime_of(client)
        user = wechat_user(client, "oBrokenConnection00000001")
        assert "Factory Helpdesk" in await user.say("/help")  # the hot path's connections are open
        killer = Database(wechat_config.database_url)
        try:
            async with killer.session() as s:
                killed = (await s.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))).scalar_one()
        finally:
            await killer.close()
        assert killed >= 1
        assert "Main menu" in await user.say("/menu")  # answered, on a fresh connection
        assert await count(runtime, InboxMessage, InboxMessage.status == st.DONE) == 2
