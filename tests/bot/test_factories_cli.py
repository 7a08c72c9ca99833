"""`etp-bot factories …` and `etp-bot auditors import` as staff run them, against a real database."""
import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.runtime import build_runtime
from tests.conftest import SECRET, ChatDriver

FACTORIES = (
    "factory_id,name,status,status_since,name_zh\n"
    "F-1,Sunny Toys Ltd,certified,2026-01-15,阳光玩具有限公司\n"
    "F-2,Bright Plastics,assessed,2026-02-01,\n"
)


@pytest.fixture
def cli(config, monkeypatch, tmp_path: Path, capsys):
    monkeypatch.setenv("ETP_DATABASE_URL", config.database_url)
    monkeypatch.setenv("ETP_SECRET_KEY", SECRET)
    monkeypatch.setenv("ETP_KEY_FILE", str(tmp_path / "etp-bot.key"))
    monkeypatch.setenv("ETP_TIMEZONE", "Asia/Hong_Kong")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


async def _chat(config, contact: str, *texts: str) -> str:
    runtime = await build_runtime(config)
    try:
        chat = ChatDriver(runtime, channel="telegram", contact=contact)
        for text in texts:
            await chat.send(text)
        return chat.text
    finally:
        await runtime.close()


def test_import_twice_creates_then_updates(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "factories.csv", FACTORIES)
    assert cli("factories", "import", path) == (0, "imported 2 factories: 2 created, 0 updated\n", "")
    assert cli("factories", "import", path)[1] == "imported 2 factories: 0 created, 2 updated\n"


def test_a_bad_file_is_refused_with_every_row_and_imports_nothing(cli, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.csv", FACTORIES + "F-3,Typo,certifed,2026-01-01,\nF-1,Again,certified,2026-01-01,\n")
    code, out, err = cli("factories", "import", bad)
    assert code == 2 and out == ""
    assert "nothing was imported" in err
    assert "row 4: unknown status 'certifed'" in err and "row 5: duplicate factory_id 'F-1' (first on row 2)" in err
    code, _, err = cli("factories", "code", "F-1")
    assert code == 2 and "no factory with id 'F-1'" in err


def test_ignored_columns_are_named_on_stderr(cli, tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", "factory_id,name,status,status_since,valid_untill\nF-1,X,certified,2026-01-01,2026-06-01\n")
    code, out, err = cli("factories", "import", path)
    assert code == 0 and "1 created" in out and "column 'valid_untill' is not used by the import" in err


def test_a_missing_file_is_a_clear_error(cli, tmp_path: Path) -> None:
    code, _, err = cli("factories", "import", str(tmp_path / "nope.csv"))
    assert code == 2 and "cannot read" in err


def test_code_bind_list_and_revoke_end_to_end(cli, config, tmp_path: Path) -> None:
    cli("factories", "import", write(tmp_path, "f.csv", FACTORIES, encoding="gb18030"))
    code, out, err = cli("factories", "code", "F-1")
    assert code == 0 and re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\n", out)
    assert "7 days" in err
    binding_code = out.strip()
    assert "linked to Sunny Toys Ltd" in asyncio.run(_chat(config, "555000111", f"/bind {binding_code}"))

    code, out, _ = cli("factories", "bindings")
    assert code == 0 and "555000111" not in out
    header, row = out.splitlines()
    assert header.split() == ["BINDING", "FACTORY", "CHANNEL", "BOUND", "REVOKED"]
    binding_id, factory_id, channel, day, clock, zone = row.split()[:6]
    assert (factory_id, channel, zone) == ("F-1", "telegram", "HKT")  # the office's time, as in the console
    bound = datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Hong_Kong"))
    # stored to the hour (an exact time would join the binding to a case): the hour just begun
    assert bound.minute == 0 and timedelta(0) <= datetime.now(UTC) - bound < timedelta(hours=1, minutes=5)
    assert cli("factories", "bindings", "F-2")[1] == "no bindings\n"

    assert cli("factories", "revoke", binding_id) == (0, f"revoked binding {binding_id}\n", "")
    code, _, err = cli("factories", "revoke", binding_id)
    assert code == 1 and f"no active binding {binding_id}" in err
    assert "HKT by staff" in cli("factories", "bindings", "F-1")[1]
    assert cli("factories", "bindings", "--active")[1] == "no bindings\n"
    assert "No factory is linked" in asyncio.run(_chat(config, "555000111", "/lang en", "/status"))


def test_revoke_every_binding_of_a_factory(cli, config, tmp_path: Path) -> None:
    cli("factories", "import", write(tmp_path, "f.csv", FACTORIES))
    for who in ("a", "b"):
        asyncio.run(_chat(config, who, f"/bind {cli('factories', 'code', 'F-1')[1].strip()}"))
    code, out, _ = cli("factories", "revoke", "--factory", "F-1")
    assert code == 0 and len(out.splitlines()) == 2
    assert cli("factories", "revoke", "--factory", "F-404")[0] == 2


def test_code_life_can_be_set(cli, tmp_path: Path) -> None:
    cli("factories", "import", write(tmp_path, "f.csv", FACTORIES))
    code, _, err = cli("factories", "code", "F-2", "--ttl-days", "2")
    assert code == 0 and "2 days" in err
    assert cli("factories", "code", "F-2", "--ttl-days", "0")[0] == 2


def test_auditors_import_replaces_the_register(cli, config, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "\ufefffirm,name,name_zh\nSGS,Zhang Wei,张伟\nUL,Li Na,\n")
    assert cli("auditors", "import", path) == (0, "auditor register replaced: 2 auditors\n", "")
    assert "Yes: Zhang Wei" in asyncio.run(_chat(config, "x", "/lang en", "/auditor Zhang Wei, SGS"))
    code, _, err = cli("auditors", "import", write(tmp_path, "b.csv", "firm,name\nSGS,\n"))
    assert code == 2 and "row 2: missing value for name" in err
    cli("auditors", "import", write(tmp_path, "c.csv", "firm,name\nUL,Li Na\n"))
    assert "not on the register" in asyncio.run(_chat(config, "x", "/auditor Zhang Wei, SGS"))


def test_codes_need_the_secret_key_and_say_so(cli, monkeypatch) -> None:
    monkeypatch.delenv("ETP_SECRET_KEY")
    monkeypatch.setenv("ETP_DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none")
    code, _, err = cli("factories", "code", "F-1")
    assert code == 2 and "ETP_SECRET_KEY is required" in err


def test_import_needs_no_secret_key(cli, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ETP_SECRET_KEY")
    assert cli("factories", "import", write(tmp_path, "f.csv", FACTORIES))[0] == 0
    assert not (tmp_path / "etp-bot.key").exists()
