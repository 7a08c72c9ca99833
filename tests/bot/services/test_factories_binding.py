"""Binding codes and bindings as the service layer offers them (CLI and staff console), and
the generic throttle."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.models.factories import BindingCode
from bot.services import throttle
from bot.services.bindings import (
    ALPHABET,
    UnknownFactory,
    issue_code,
    list_bindings,
    normalise_code,
    redeem_code,
    revoke_binding,
)
from bot.services.contacts import get_or_create_contact
from tests.conftest import SECRET
from tests.factories_support import import_rows

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
async def db(config):
    database = Database(config.database_url)
    await database.create_schema()
    await import_rows(database, "F-1,Sunny Toys,certified,2026-01-15,,,,,", "F-2,Bright Plastics,assessed,2026-01-15,,,,,")
    yield database
    await database.close()


@pytest.fixture
def secrets() -> Secrets:
    return Secrets(SECRET)


def test_codes_are_typeable_and_read_forgivingly() -> None:
    assert normalise_code("abcd-efgh") == "ABCDEFGH"
    assert normalise_code(" ABCD EFGH ") == "ABCDEFGH"
    assert normalise_code("IlO0-2345") == "1100" + "2345"  # I and L read as 1, O as 0
    assert normalise_code("ABCD-EFG") is None and normalise_code("ABCD-EFGHU") is None
    assert normalise_code("ABCU-EFGH") is None  # U is not in Crockford's alphabet
    assert "U" not in ALPHABET and len(ALPHABET) == 32


async def test_codes_are_random_shown_with_a_dash_and_stored_only_hashed(db: Database, secrets: Secrets) -> None:
    async with db.session() as s:
        codes = {await issue_code(s, secrets, "F-1", timedelta(days=7), now=NOW) for _ in range(20)}
    assert len(codes) == 20
    assert all(len(c) == 9 and c[4] == "-" and normalise_code(c) for c in codes)
    async with db.session() as s:
        stored = list((await s.execute(select(BindingCode))).scalars())
    assert len(stored) == 20
    assert all(row.expires_at == NOW + timedelta(days=7) for row in stored)
    hashes = {row.code_hash for row in stored}
    for code in codes:
        assert code not in hashes and normalise_code(code) not in hashes
        assert secrets.lookup_hash("binding-code:" + normalise_code(code)) in hashes


async def test_issuing_for_an_unknown_factory_fails(db: Database, secrets: Secrets) -> None:
    async with db.session() as s:
        with pytest.raises(UnknownFactory):
            await issue_code(s, secrets, "F-404", timedelta(days=7))


async def test_redeem_once_then_list_and_revoke(db: Database, secrets: Secrets) -> None:
    async with db.session() as s:
        code = normalise_code(await issue_code(s, secrets, "F-1", timedelta(days=7), now=NOW))
        alice = await get_or_create_contact(s, secrets, "telegram", "1001")
        bob = await get_or_create_contact(s, secrets, "wechat", "oBob")
        first = await redeem_code(s, secrets, alice, code, now=NOW)
        assert first is not None and first.factory.factory_id == "F-1" and not first.already
        assert (await redeem_code(s, secrets, bob, code, now=NOW)) is None  # consumed
        again = await redeem_code(s, secrets, alice, code, now=NOW)
        assert again is not None and again.already
    async with db.session() as s:
        (info,) = await list_bindings(s, "F-1")
        assert (info.factory_id, info.channel, info.active) == ("F-1", "telegram", True)
        assert "1001" not in repr(info)  # staff see ids, channel and dates, never the chat id
        assert await list_bindings(s, "F-2") == []
        assert await revoke_binding(s, info.id, now=NOW)
        assert not await revoke_binding(s, info.id, now=NOW)  # already revoked
    async with db.session() as s:
        (info,) = await list_bindings(s)
        assert info.revoked_at == NOW and info.revoked_by == "staff"
        assert await list_bindings(s, include_revoked=False) == []
        with pytest.raises(UnknownFactory):
            await list_bindings(s, "F-404")


async def test_an_expired_code_binds_nobody(db: Database, secrets: Secrets) -> None:
    async with db.session() as s:
        code = normalise_code(await issue_code(s, secrets, "F-1", timedelta(days=7), now=NOW))
        alice = await get_or_create_contact(s, secrets, "telegram", "1001")
        assert await redeem_code(s, secrets, alice, code, now=NOW + timedelta(days=7, seconds=1)) is None
        assert await redeem_code(s, secrets, alice, code, now=NOW + timedelta(days=6)) is not None


async def test_codes_hashed_under_an_old_key_still_work(db: Database) -> None:
    old = Secrets(SECRET)
    async with db.session() as s:
        code = normalise_code(await issue_code(s, old, "F-1", timedelta(days=7), now=NOW))
    rotated = Secrets("a-new-secret-key-0123456789abcdefghijklmnop", (SECRET,))
    async with db.session() as s:
        alice = await get_or_create_contact(s, rotated, "telegram", "1001")
        assert await redeem_code(s, rotated, alice, code, now=NOW) is not None


async def test_throttle_counts_per_key_in_a_window(db: Database) -> None:
    window = timedelta(hours=1)
    async with db.session() as s:
        results = [await throttle.hit(s, Secrets(SECRET), "k:a", 3, window, now=NOW) for _ in range(5)]
        other = await throttle.hit(s, Secrets(SECRET), "k:b", 3, window, now=NOW)
    assert results == [True, True, True, False, False] and other
    async with db.session() as s:  # another transaction (another process) sees the same count
        assert not await throttle.hit(s, Secrets(SECRET), "k:a", 3, window, now=NOW + timedelta(minutes=59))
        assert await throttle.hit(s, Secrets(SECRET), "k:a", 3, window, now=NOW + timedelta(hours=2))  # a new window
        assert await throttle.hit(s, Secrets(SECRET), "k:a", 3, window, now=NOW + timedelta(hours=2))
