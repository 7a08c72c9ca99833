"""Staff accounts of every role (argon2 with a small cost) and signing in, for the console tests."""
import pytest

from tests.casekit import add_staff, console  # noqa: F401 - fixture

ACCOUNTS = [("line@etp.org", "helpline"), ("integrity@etp.org", "integrity"),
            ("desk@etp.org", "helpdesk"), ("admin@etp.org", "admin")]


@pytest.fixture
async def accounts(runtime, monkeypatch):
    from argon2 import PasswordHasher

    from bot.staff import accounts as staff_accounts

    monkeypatch.setattr(staff_accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for email, role in ACCOUNTS:
        await add_staff(runtime, email, role)


@pytest.fixture
def sign_in(console, accounts):
    async def signed_in(email: str):
        browser = await console()
        assert (await browser.login(email)).status == 303
        return browser

    return signed_in
