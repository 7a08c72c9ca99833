"""`etp-bot staff add` and `etp-bot purge` at the command line."""
import asyncio
import io

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.core.db import Database
from bot.core.models.cases import StaffUser


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ETP_DATABASE_URL", url)
    return url


def _accounts(url: str) -> list[tuple[str, str, str]]:
    async def read() -> list:
        db = Database(url)
        try:
            await db.create_schema()
            async with db.session() as s:
                return [(u.email, u.role, u.password_hash) for u in (await s.execute(select(StaffUser))).scalars()]
        finally:
            await db.close()

    return asyncio.run(read())


def test_staff_add_reads_the_password_from_stdin(sqlite_env, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert main(["staff", "add", "Officer@ETP.org", "--role", "helpline", "--password-stdin"]) == 0
    assert "officer@etp.org (helpline) created" in capsys.readouterr().out
    ((email, role, password_hash),) = _accounts(sqlite_env)
    assert (email, role) == ("officer@etp.org", "helpline")
    assert password_hash.startswith("$argon2") and "a long passphrase" not in password_hash

    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert main(["staff", "add", "officer@etp.org", "--role", "helpline", "--password-stdin"]) == 2
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["staff", "add", "b@etp.org", "--role", "admin", "--password-stdin"]) == 2
    assert "at least" in capsys.readouterr().err
    for guessable in ["1234567890", "password123456", "aaaaaaaaaaaa", "qwertyuiopas"]:
        monkeypatch.setattr("sys.stdin", io.StringIO(guessable + "\n"))
        assert main(["staff", "add", "b@etp.org", "--role", "admin", "--password-stdin"]) == 2
        assert "too easy to guess" in capsys.readouterr().err, guessable
    assert [a[0] for a in _accounts(sqlite_env)] == ["officer@etp.org"]


def test_a_guessable_password_is_refused_before_it_is_asked_again(sqlite_env, monkeypatch, capsys) -> None:
    asked = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or "1234567890")
    assert main(["staff", "add", "x@etp.org", "--role", "integrity"]) == 2
    assert "too easy to guess" in capsys.readouterr().err and asked == ["Password: "]
    assert _accounts(sqlite_env) == []


def test_staff_add_prompts_twice_without_stdin(sqlite_env, monkeypatch, capsys) -> None:
    answers = iter(["first password!", "other password!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["staff", "add", "x@etp.org", "--role", "integrity"]) == 2
    assert "do not match" in capsys.readouterr().err
    assert _accounts(sqlite_env) == []


def test_purge_command_reports_what_it_did(sqlite_env, capsys, monkeypatch) -> None:
    monkeypatch.setenv("ETP_RETENTION_DAYS", "30")
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "purged 0 closed cases older than 30 days" in out
    assert "also deleted: 0 unanswered questions, 0 processed inbox rows, 0 sent or failed outbox rows" in out


def _account(url: str, email: str) -> StaffUser:
    async def read() -> StaffUser:
        db = Database(url)
        try:
            async with db.session() as s:
                return (await s.execute(select(StaffUser).where(StaffUser.email == email))).scalar_one()
        finally:
            await db.close()

    return asyncio.run(read())


def _enrol(url: str, email: str) -> None:
    from sqlalchemy import update

    from bot.core.models import utcnow

    async def write() -> None:
        db = Database(url)
        try:
            async with db.session() as s:
                await s.execute(update(StaffUser).where(StaffUser.email == email).values(
                    totp_secret_enc="an encrypted secret", totp_enrolled_at=utcnow(), totp_last_step=1))
        finally:
            await db.close()

    asyncio.run(write())


def test_staff_help_says_every_account_has_a_second_factor(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["staff", "--help"])
    out = capsys.readouterr().out
    assert "authenticator app" in out and "reset-2fa" in out and "first sign-in" in out


def test_staff_reset_2fa_and_reset_from_the_command_line(sqlite_env, monkeypatch, capsys) -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert main(["staff", "add", "officer@etp.org", "--role", "helpline", "--password-stdin"]) == 0
    assert "sets up its second factor" in capsys.readouterr().out
    assert _account(sqlite_env, "officer@etp.org").totp_enrolled_at is None  # enrols at its first sign-in
    _enrol(sqlite_env, "officer@etp.org")
    before = _account(sqlite_env, "officer@etp.org")

    assert main(["staff", "reset-2fa", "Officer@etp.org"]) == 0
    assert "second factor of officer@etp.org removed" in capsys.readouterr().out
    after = _account(sqlite_env, "officer@etp.org")
    assert (after.totp_secret_enc, after.totp_enrolled_at, after.totp_last_step) == (None, None, None)
    assert after.password_hash == before.password_hash and after.temporary_until is None

    assert main(["staff", "reset", "officer@etp.org"]) == 0
    out, err = capsys.readouterr()
    temporary = out.strip()
    assert len(temporary) == 23 and "good for one sign-in within 3 days" in err
    reset = _account(sqlite_env, "officer@etp.org")
    assert reset.temporary_until is not None and PasswordHasher().verify(reset.password_hash, temporary)
    assert main(["staff", "reset-2fa", "nobody@etp.org"]) == 2
    assert "no staff account nobody@etp.org" in capsys.readouterr().err
