"""Start-up errors as an operator sees them: one line naming the variable, exit code 2, no traceback."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "k3Y-7fQ9zLmP2xW8vB4nR6tY1uI0oA5sD"


def etp(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ETP_", "WECHAT_", "TELEGRAM_", "PORT"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], env={**base, "PYTHONPATH": str(ROOT), **env},
                          capture_output=True, text=True, timeout=60, cwd=cwd, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("env", "named"), [
    ({"ETP_TIMEZONE": "Mars/Base"}, "ETP_TIMEZONE"),
    ({"ETP_SECRET_KEY": "short"}, "ETP_SECRET_KEY"),
    ({"PORT": "eighty"}, "PORT"),
    ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
    ({"WECHAT_API_BASE": "api.weixin.qq.com"}, "WECHAT_API_BASE"),
    ({"ETP_METRICS_TOKEN": "short"}, "ETP_METRICS_TOKEN"),
    ({"ETP_LOG_FORMAT": "xml"}, "ETP_LOG_FORMAT"),
])
@pytest.mark.parametrize("command", [["serve"], ["chat"], ["db", "upgrade"]])
def test_bad_configuration_is_one_line_exit_2(tmp_path: Path, command, env, named) -> None:
    r = etp(command, env, tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"etp-bot: {named}: expected") and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("command", [["serve"], ["chat"]])
def test_postgres_without_a_key_is_one_line(tmp_path: Path, command) -> None:
    r = etp(command, {"ETP_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1/db"}, tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("etp-bot: ETP_SECRET_KEY: expected with PostgreSQL")
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_unreachable_postgres_is_one_line_with_host_and_port(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = etp(["db", "upgrade"], {"ETP_DATABASE_URL": f"postgresql+asyncpg://u:pw@127.0.0.1:{port}/db",
                                "ETP_SECRET_KEY": KEY}, tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr
    assert "pw" not in r.stderr


def test_unreachable_postgres_over_a_unix_socket_names_the_socket(tmp_path: Path) -> None:
    r = etp(["db", "upgrade"], {"ETP_DATABASE_URL": f"postgresql+asyncpg://u:pw@/db?host={tmp_path}/none",
                                "ETP_SECRET_KEY": KEY}, tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert f"the socket in {tmp_path}/none (port 5432)" in r.stderr and "localhost" not in r.stderr


def test_version(tmp_path: Path) -> None:
    r = etp(["--version"], {}, tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("etp-bot 0.")


def test_config_check_masks_secrets(tmp_path: Path) -> None:
    secrets = {"ETP_SECRET_KEY": KEY, "TELEGRAM_BOT_TOKEN": "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp",
               "TELEGRAM_WEBHOOK_SECRET": "hook-secret-xyz", "WECHAT_TOKEN": "wxtoken42",
               "WECHAT_APP_SECRET": "wechat-app-secret-value", "ETP_METRICS_TOKEN": "scrape-token-0123456789"}
    env = {**secrets, "WECHAT_APP_ID": "wxapp", "ETP_DATABASE_URL": "postgresql+asyncpg://bot:dbpassword99@db.example:5432/etp",
           "ETP_TIMEZONE": "Europe/Paris"}
    r = etp(["config", "check"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "ETP_TIMEZONE" in r.stdout and "Europe/Paris" in r.stdout and "db.example:5432" in r.stdout
    for value in [*secrets.values(), "dbpassword99"]:
        assert value not in r.stdout + r.stderr


def test_config_check_lists_every_problem(tmp_path: Path) -> None:
    r = etp(["config", "check"], {"ETP_TIMEZONE": "Mars/Base", "ETP_RETENTION_DAYS": "a year"}, tmp_path)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and any("ETP_TIMEZONE" in x for x in lines) and any("ETP_RETENTION_DAYS" in x for x in lines)


def test_generated_key_notice_is_a_sentence_and_group_readable_key_warned(tmp_path: Path) -> None:
    r = etp(["factories", "code", "NOPE"], {}, tmp_path)
    first = r.stderr.splitlines()[0]
    assert first.startswith("etp-bot: ETP_SECRET_KEY is not set: generated a key into") and "{" not in first
    (tmp_path / "etp-bot.key").chmod(0o644)
    r = etp(["factories", "code", "NOPE"], {}, tmp_path)
    assert "can be read by other users" in r.stderr and "chmod 600" in r.stderr


def test_db_upgrade_says_what_it_did(tmp_path: Path) -> None:
    from bot.core.migrate import head_revision

    env = {"ETP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'u.db'}", "ETP_SECRET_KEY": KEY}  # (no key notice)
    first = etp(["db", "upgrade"], env, tmp_path)
    assert first.returncode == 0 and first.stdout == f"database created at revision {head_revision()}\n"
    assert first.stderr == ""  # Alembic's chatter stays quiet
    again = etp(["db", "upgrade"], env, tmp_path)
    assert again.stdout == f"database is up to date (revision {head_revision()})\n"


def test_config_check_shows_the_alert_settings_with_their_secrets_masked(tmp_path: Path) -> None:
    env = {"ETP_SECRET_KEY": KEY, "ETP_ALERT_SMTP_URL": "smtp://alerts%40etp.org:mailpassword77@mail.etp.org:587",
           "ETP_ALERT_EMAIL_TO": "line@etp.org, duty@etp.org",
           "ETP_ALERT_WECOM_WEBHOOK": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-1234"}
    r = etp(["config", "check"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "mail.etp.org:587" in r.stdout and "line@etp.org,duty@etp.org" in r.stdout
    assert "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***" in r.stdout
    for value in ("mailpassword77", "robot-key-1234"):
        assert value not in r.stdout + r.stderr


def test_config_check_names_each_alert_setting_that_is_wrong(tmp_path: Path) -> None:
    r = etp(["config", "check"], {"ETP_ALERT_SMTP_URL": "mail.etp.org", "ETP_ALERT_EMAIL_TO": "line at etp",
                                  "ETP_ALERT_WECOM_WEBHOOK": "https://qyapi.weixin.qq.com/no-key"}, tmp_path)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert [line.split(": ")[1] for line in lines] == ["ETP_ALERT_SMTP_URL", "ETP_ALERT_EMAIL_TO",
                                                      "ETP_ALERT_WECOM_WEBHOOK"], lines
    r = etp(["config", "check"], {"ETP_ALERT_EMAIL_TO": "line@etp.org"}, tmp_path)
    assert r.returncode == 1 and "expected together" in r.stderr
