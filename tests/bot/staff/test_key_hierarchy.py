"""The staff key hierarchy (docs/cases.md "Encryption protocol"): a member reads a queue's cases
only with the queue key, given by a member who holds it; the key follows a password change and a
recovery key; a signed-in session opens it in any process with its cookie, and only with it; a
session's key ends with the session."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.errors import UserError
from bot.core.models.cases import StaffUser
from bot.core.models.keyring import QueueGrant, SessionKey
from bot.services import cases, keyring
from bot.staff.cases_views import SEALED
from tests.casekit import PASSWORD, Console, add_member, add_staff, console_app, file_helpline_report
from tests.conftest import SECRET, ChatDriver

REPORT = "The canteen at the Peony plant charges us for water"


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    from argon2 import PasswordHasher

    from bot.staff import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


async def _signed_in(console, email: str, password: str = PASSWORD) -> Console:
    browser = await console()
    assert (await browser.login(email, password)).status == 303
    return browser


async def _case_page(browser: Console, ref: str) -> str:
    return await (await browser.client.get(f"/staff/cases/{await browser.case_id(ref)}")).text()


async def _session_keys(runtime) -> int:
    async with runtime.db.session() as s:
        return (await s.execute(select(func.count()).select_from(SessionKey))).scalar_one()


async def test_a_new_member_reads_cases_once_a_member_of_the_queue_gives_them_the_key(runtime, console) -> None:
    await add_member(runtime, "first@etp.org", "helpline")  # creates the queue key
    await add_staff(runtime, "second@etp.org", "helpline")  # made on the admin's page: no key pair yet
    ref = await file_helpline_report(ChatDriver(runtime, contact="worker"), REPORT)

    second = await _signed_in(console, "second@etp.org")  # the first sign-in makes their key pair
    page = await _case_page(second, ref)
    assert REPORT not in page and SEALED in page
    assert "You do not hold the queue key" in await (await second.client.get("/staff/keys")).text()
    # answering needs only the case's public key
    assert (await second.reply(await second.case_id(ref), "We will look into it")).status == 303

    first = await _signed_in(console, "first@etp.org")
    assert REPORT in await _case_page(first, ref)
    keys_page = await (await first.client.get("/staff/keys")).text()
    async with runtime.db.session() as s:
        second_id = (await s.execute(select(StaffUser.id).where(StaffUser.email == "second@etp.org"))).scalar_one()
    assert f"/staff/keys/grant/{second_id}" in keys_page
    assert (await first.post(f"/staff/keys/grant/{second_id}")).status == 303

    page = await _case_page(second, ref)  # the same session: the grant is sealed to their key pair
    assert REPORT in page and "We will look into it" in page and SEALED not in page


async def test_only_a_member_holding_the_queue_key_can_give_it_and_only_within_the_queue(runtime, console) -> None:
    await add_member(runtime, "first@etp.org", "helpline")
    await add_staff(runtime, "second@etp.org", "helpline")
    await add_member(runtime, "integrity@etp.org", "integrity")
    second = await _signed_in(console, "second@etp.org")
    async with runtime.db.session() as s:
        ids = dict((await s.execute(select(StaffUser.email, StaffUser.id))).all())
    response = await second.post(f"/staff/keys/grant/{ids['second@etp.org']}")
    assert response.status == 400 and "do not hold this queue" in await response.text()
    first = await _signed_in(console, "first@etp.org")
    response = await first.post(f"/staff/keys/grant/{ids['integrity@etp.org']}")
    assert response.status == 400 and "same queue" in await response.text()
    async with runtime.db.session() as s:
        grants = (await s.execute(select(QueueGrant.queue, QueueGrant.staff_id))).all()
    assert sorted(grants) == sorted([("helpline", ids["first@etp.org"]), ("integrity", ids["integrity@etp.org"])])


async def test_a_password_change_keeps_the_cases_readable_under_the_new_password(runtime, console) -> None:
    await add_member(runtime, "first@etp.org", "helpline")
    ref = await file_helpline_report(ChatDriver(runtime, contact="worker"), REPORT)
    browser = await _signed_in(console, "first@etp.org")
    new = "violet tambourine orchard 77"
    response = await browser.post("/staff/password", current=PASSWORD, new=new)
    assert response.status == 200 and "has been changed" in await response.text()
    again = await _signed_in(console, "first@etp.org", new)
    assert REPORT in await _case_page(again, ref)
    async with runtime.db.session() as s:
        user = (await s.execute(select(StaffUser))).scalar_one()
        assert await keyring.unlock(s, user.id, PASSWORD) is None
        assert await keyring.unlock(s, user.id, new) is not None


async def test_the_session_opens_the_keys_in_another_process_with_its_cookie_only(runtime, console, clock) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.runtime import build_runtime
    from bot.staff import COOKIE

    await add_member(runtime, "first@etp.org", "helpline")
    ref = await file_helpline_report(ChatDriver(runtime, contact="worker"), REPORT)
    browser = await _signed_in(console, "first@etp.org")
    cookie = next(c.value for c in browser.client.session.cookie_jar if c.key == COOKIE)
    assert await _session_keys(runtime) == 1

    other = await build_runtime(runtime.config, create_schema=False)  # a second process on the same database
    other.services.clock = clock
    client = TestClient(TestServer(console_app(other)))
    await client.start_server()
    try:
        client.session.cookie_jar.update_cookies({COOKIE: cookie})
        assert REPORT in await _case_page(Console(client), ref)
        async with other.db.session() as s:
            (row,) = (await s.execute(select(SessionKey))).scalars()
            assert await keyring.session_private(s, cookie + "x", row.id_hash) is None  # the cookie is the key
            assert await keyring.session_private(s, cookie, row.id_hash) is not None
    finally:
        await client.close()
        await other.close()

    csrf = await browser.csrf()
    assert (await browser.client.post("/staff/logout", data={"csrf": csrf}, allow_redirects=False)).status == 303
    assert await _session_keys(runtime) == 0  # signing out destroys the session's key

    idle = await _signed_in(console, "first@etp.org")
    assert await _session_keys(runtime) == 1
    clock.advance(timedelta(minutes=31))
    assert (await idle.client.get("/staff/", allow_redirects=False)).status == 303  # idle: to the sign-in page
    assert await _session_keys(runtime) == 0


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """The command line on its own SQLite database (the commands run their own event loop)."""
    from dataclasses import replace

    from bot.core.config import Config

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ETP_DATABASE_URL", url)
    monkeypatch.setenv("ETP_SECRET_KEY", SECRET)
    return replace(Config.from_env({}), database_url=url, secret_key=SECRET, key_file=str(tmp_path / "k"))


def _runtime_call(config, check):
    import asyncio

    from bot.runtime import build_runtime

    async def run():
        runtime = await build_runtime(config)
        try:
            return await check(runtime)
        finally:
            await runtime.close()

    return asyncio.run(run())


def test_staff_add_prints_a_recovery_key_and_staff_grant_gives_the_queue_key(cli_env, monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["staff", "add", "first@etp.org", "--role", "helpline", "--password-stdin"]) == 0
    recovery = re.search(r"recovery key .*: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){7})$", capsys.readouterr().out, re.M).group(1)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["staff", "add", "second@etp.org", "--role", "helpline", "--password-stdin"]) == 0
    capsys.readouterr()

    monkeypatch.setattr("sys.stdin", io.StringIO("not the password\n"))
    assert main(["staff", "grant", "second@etp.org", "--by", "first@etp.org", "--password-stdin"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["staff", "grant", "second@etp.org", "--by", "first@etp.org", "--password-stdin"]) == 0
    assert "second@etp.org now holds the queue key" in capsys.readouterr().out

    async def check(runtime) -> None:
        ref = await file_helpline_report(ChatDriver(runtime, contact="worker"), REPORT)
        async with runtime.db.session() as s:
            users = {u.email: u for u in (await s.execute(select(StaffUser))).scalars()}
            case = await cases.find_case(s, runtime.services.secrets, ref)
            (message,) = await cases.messages(s, case)

            async def reads(user_id: int, private: bytes | None) -> bool:
                queue = await keyring.queue_private(s, private, user_id, "helpline")
                return cases.read(runtime.services.secrets, cases.private_for_staff(
                    runtime.services.secrets, case, queue), message.body_enc) == REPORT

            second = users["second@etp.org"]
            assert await reads(second.id, await keyring.unlock(s, second.id, PASSWORD))
            # a forgotten password: the recovery key sets a new one, and the keys follow
            first = users["first@etp.org"]
            with pytest.raises(UserError, match="recovery key is wrong"):
                await keyring.recover(s, first.id, "0000-0000-0000-0000-0000-0000-0000-0000", "whatever new words")
            await keyring.recover(s, first.id, recovery.lower(), "cobalt lantern meadow 31")
            assert await reads(first.id, await keyring.unlock(s, first.id, "cobalt lantern meadow 31"))
            # a reset (the admin's, when the recovery key is lost too): a new key pair, no queue key
            await keyring.reset(s, second, "saffron kettle harbour 12")
            assert not await reads(second.id, await keyring.unlock(s, second.id, "saffron kettle harbour 12"))

    _runtime_call(cli_env, check)


def test_keys_migrate_cases_seals_cases_written_before_their_queue_had_a_key(cli_env, capsys) -> None:
    from bot.cli import main
    from bot.staff.accounts import create_account

    async def before(runtime) -> tuple[str, int]:
        ref = await file_helpline_report(ChatDriver(runtime, contact="worker"), REPORT)  # no member yet
        async with runtime.db.session() as s:
            # a first member whose queue key was made without the server key at hand, so the case
            # waiting for it is not sealed to it yet: what `keys migrate-cases` is for
            user = await create_account(s, "first@etp.org", "helpline", PASSWORD)
            await keyring.enrol(s, None, user, PASSWORD)
            return ref, user.id

    ref, user = _runtime_call(cli_env, before)
    assert main(["keys", "migrate-cases"]) == 0
    out = capsys.readouterr().out
    assert "helpline: 1 cases sealed to the queue key" in out and "integrity: no queue key yet" in out

    async def after(runtime) -> None:
        async with runtime.db.session() as s:
            case = await cases.find_case(s, runtime.services.secrets, ref)
            (message,) = await cases.messages(s, case)
            assert case.private_by_server_enc is None
            assert cases.private_for_staff(runtime.services.secrets, case, None) is None
            queue = await keyring.queue_private(s, await keyring.unlock(s, user, PASSWORD), user, "helpline")
            assert cases.read(runtime.services.secrets, cases.private_for_staff(
                runtime.services.secrets, case, queue), message.body_enc) == REPORT

    _runtime_call(cli_env, after)


async def test_an_admin_reset_takes_the_members_keys_and_a_queue_member_gives_them_back(runtime, console) -> None:
    from bot.core.models.keyring import StaffKey
    from bot.staff import accounts

    await add_member(runtime, "first@etp.org", "helpline")
    await add_member(runtime, "second@etp.org", "helpline")
    ref = await file_helpline_report(ChatDriver(runtime, contact="worker"), REPORT)
    first = await _signed_in(console, "first@etp.org")
    async with runtime.db.session() as s:
        second = (await s.execute(select(StaffUser).where(StaffUser.email == "second@etp.org"))).scalar_one()
        assert (await first.post(f"/staff/keys/grant/{second.id}")).status == 303
        temporary = await accounts.reset_account(s, second, runtime.services.clock())
    async with runtime.db.session() as s:
        # the admin knows the temporary password: nothing of the member's keys is left for it to open
        assert await s.get(StaffKey, second.id) is None
        assert (await s.execute(select(QueueGrant).where(QueueGrant.staff_id == second.id))).first() is None
        user = await s.get(StaffUser, second.id)
        token = await accounts.start_session(s, user, runtime.services.clock(), stage="password")
        await keyring.sign_in(s, runtime.services.secrets, user, temporary, token, accounts.session_id(token))
        assert await s.get(StaffKey, second.id) is None  # a temporary password wraps nothing
    own = "juniper anchor violet 58"
    await accounts.choose_password(runtime.db, second.id, own)
    async with runtime.db.session() as s:
        user = await s.get(StaffUser, second.id)
        await keyring.sign_in(s, runtime.services.secrets, user, own, token, accounts.session_id(token))
        member = await keyring.session_private(s, token, accounts.session_id(token))
        assert member is not None and await keyring.queue_private(s, member, second.id, "helpline") is None
    assert (await first.post(f"/staff/keys/grant/{second.id}")).status == 303
    async with runtime.db.session() as s:
        queue = await keyring.queue_private(s, member, second.id, "helpline")
        case = await cases.find_case(s, runtime.services.secrets, ref)
        (message,) = await cases.messages(s, case)
        assert cases.read(runtime.services.secrets, cases.private_for_staff(runtime.services.secrets, case, queue),
                          message.body_enc) == REPORT


async def test_a_role_change_takes_the_key_of_the_queue_left(runtime) -> None:
    await add_member(runtime, "first@etp.org", "helpline")
    await add_member(runtime, "mover@etp.org", "helpline")
    async with runtime.db.session() as s:
        users = {u.email: u for u in (await s.execute(select(StaffUser))).scalars()}
        first, mover = users["first@etp.org"], users["mover@etp.org"]
        await keyring.grant(s, first, await keyring.unlock(s, first.id, PASSWORD), mover.id)
    async with runtime.db.session() as s:
        mover = await s.get(StaffUser, mover.id)
        mover.role = "integrity"
        await keyring.role_changed(s, runtime.services.secrets, mover)
    async with runtime.db.session() as s:
        grants = (await s.execute(select(QueueGrant.queue).where(QueueGrant.staff_id == mover.id))).scalars().all()
        assert grants == ["integrity"]  # the first integrity member: the integrity queue key is theirs
