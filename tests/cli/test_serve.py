"""`etp-bot serve` as an operator starts it: a banner of plain lines, then logs (text on a terminal,
JSON otherwise), the database migrated with one line per revision, /healthz answering."""
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.banner import banner_lines
from bot.core.config import Config
from bot.core.migrate import head_revision
from bot.scheduler import JOBS

ROOT = Path(__file__).resolve().parents[2]
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TG_TOKEN = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env(tmp_path: Path, port: int, **extra: str) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ETP_", "WECHAT_", "TELEGRAM_", "PORT"))}
    return {**base, "PYTHONPATH": str(ROOT), "ETP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db",
            "ETP_SECRET_KEY": "s" * 40, "PORT": str(port), **extra}


def wait_healthy(proc: subprocess.Popen, port: int) -> dict:
    deadline = time.monotonic() + 45
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                assert resp.status == 200
                return json.loads(resp.read())
        except OSError:
            assert proc.poll() is None, "server exited"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)


def run_serve(tmp_path: Path, **extra: str) -> tuple[list[str], dict]:
    """Start serve with stdout and stderr on one pipe, wait for /healthz, stop it; the output lines."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
                            env=serve_env(tmp_path, port, **extra), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        health = wait_healthy(proc, port)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    return out.splitlines(), health


def test_serve_prints_a_banner_then_json_logs_and_migrates_quietly(tmp_path: Path) -> None:
    lines, health = run_serve(tmp_path, WECHAT_TOKEN="wxtoken42", WECHAT_APP_ID="wxapp", WECHAT_APP_SECRET="s3cr3t",
                              WECHAT_AES_KEY=AES_KEY, TELEGRAM_BOT_TOKEN=TG_TOKEN,
                              TELEGRAM_WEBHOOK_SECRET="hook-secret", TELEGRAM_API_BASE="http://127.0.0.1:9/bot")
    assert health["status"] == "ok" and (tmp_path / "s.db").exists()
    first_log = next(i for i, line in enumerate(lines) if line.startswith("{"))
    banner = lines[:first_log]
    assert banner[0].startswith("etp-bot 0.")
    assert any(re.fullmatch(r"listening on http://127\.0\.0\.1:\d+", b) for b in banner), banner
    assert any(b.startswith("staff console: http://127.0.0.1:") and "/staff/" in b for b in banner)
    assert "WeChat: on, safe mode (安全模式: encrypted requests only), at /wechat" in banner
    assert any(b.startswith("Telegram: on, webhook at /telegram") for b in banner)
    assert any(b.startswith(f"database: sqlite+aiosqlite:///{tmp_path}/s.db") for b in banner)
    assert any(b.startswith("schedules: this process") and "reminders every hour" in b for b in banner)
    assert any(b.startswith("outbox: this process delivers queued messages (WeChat, Telegram)") for b in banner)
    # then logs: JSON (stderr is a pipe), Alembic's chatter gone, one line per revision applied
    logs = [json.loads(line) for line in lines[first_log:] if line.startswith("{")]
    assert all("setup plugin" not in x["msg"] and "Context impl" not in x["msg"] for x in logs)
    migrated = [x["revision"] for x in logs if x.get("event") == "migration"]
    assert migrated[0] == "0001" and migrated[-1] == head_revision() and len(migrated) == len(set(migrated))
    for secret in ("s" * 40, TG_TOKEN, "hook-secret", AES_KEY, "s3cr3t"):
        assert secret not in "\n".join(lines)
    again, _ = run_serve(tmp_path)  # already migrated: no migration line at all
    assert not [line for line in again if "migrated" in line or "alembic" in line]
    assert "WeChat: off (set WECHAT_TOKEN, WECHAT_APP_ID and WECHAT_APP_SECRET to turn it on)" in again


def test_text_logs_when_asked(tmp_path: Path) -> None:
    lines, _ = run_serve(tmp_path, ETP_LOG_FORMAT="text", ETP_TIMEZONE="Asia/Hong_Kong")
    logs = [line for line in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", line)]
    migrated = [line for line in logs if "database migrated to revision" in line]
    assert migrated and not any(line.lstrip().startswith("{") for line in lines)
    # time, level, logger, message, then key=value extras
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO    bot\.core\.migrate: database migrated to revision "
                        r"0001: .+  event=migration revision=0001", migrated[0]), migrated[0]


def test_text_logs_by_default_on_a_terminal(tmp_path: Path) -> None:
    """stderr a pseudo-terminal, stdout a pipe: the logs are text (no format chosen)."""
    port = free_port()
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
                            env=serve_env(tmp_path, port), stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    try:
        wait_healthy(proc, port)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    terminal = b""
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        terminal += chunk
    os.close(master)
    text = terminal.decode()
    assert "bot.core.migrate: database migrated to revision 0001" in text and '{"ts"' not in text


def test_banner_lines_mask_the_database_password_and_name_each_mode() -> None:
    pg = Config.from_env({"ETP_DATABASE_URL": "postgresql+asyncpg://etp:dbpass99@db.internal:5432/etp",
                          "WECHAT_TOKEN": "wxtoken42", "WECHAT_APP_ID": "wx", "WECHAT_APP_SECRET": "x",
                          "WECHAT_AES_KEY": AES_KEY, "WECHAT_COMPAT_MODE": "1", "TELEGRAM_BOT_TOKEN": TG_TOKEN})
    lines = banner_lines(pg, host="0.0.0.0", port=8080, telegram_polling=True, jobs=JOBS)
    text = "\n".join(lines)
    assert "database: postgresql+asyncpg://etp:***@db.internal:5432/etp" in lines and "dbpass99" not in text
    assert "listening on http://0.0.0.0:8080 (all interfaces)" in lines
    assert "staff console: http://127.0.0.1:8080/staff/" in text
    assert any(line.startswith("WeChat: on, compatible mode") for line in lines)
    assert any(line.startswith("Telegram: on, long polling") for line in lines)
    plain = Config.from_env({"WECHAT_TOKEN": "wxtoken42", "WECHAT_APP_ID": "wx", "WECHAT_APP_SECRET": "x",
                             "TELEGRAM_BOT_TOKEN": TG_TOKEN})
    lines = banner_lines(plain, host="127.0.0.1", port=9000)
    assert any(line.startswith("WeChat: on, plaintext mode") for line in lines)
    assert any("TELEGRAM_WEBHOOK_SECRET is not set" in line for line in lines)  # every update would be refused
