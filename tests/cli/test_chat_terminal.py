"""`etp-bot chat` on a terminal, driven through a pseudo-terminal as a person types: arrow-key
editing, Chinese input, history with the Up key, and a staff reply shown while the chat is open."""
import asyncio
import getpass
import os
import sys
from pathlib import Path

import pexpect

from bot.core.crypto import Secrets
from bot.core.db import Database
from bot.core.messages import Reply
from bot.services.outbox import enqueue
from integrations.terminal import history_path

ROOT = Path(__file__).resolve().parents[2]
READY = "\x1b[?2004h"  # prompt_toolkit turns bracketed paste on when the prompt is ready for input
LEFT, UP, DELETE = "\x1b[D", "\x1b[A", "\x1b[3~"


def spawn(tmp_path: Path) -> pexpect.spawn:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ETP_", "WECHAT_", "TELEGRAM_"))}
    env = {**base, "PYTHONPATH": str(ROOT), "ETP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
           "ETP_KEY_FILE": str(tmp_path / "etp-bot.key"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "TERM": "xterm",
           "PROMPT_TOOLKIT_NO_CPR": "1"}  # a real terminal answers cursor-position requests; pexpect does not
    child = pexpect.spawn(sys.executable, ["-m", "bot", "chat", "--lang", "en"], env=env, cwd=str(tmp_path),
                          encoding="utf-8", timeout=60, dimensions=(40, 120))
    child.expect_exact(READY)
    return child


def ask(child: pexpect.spawn, keys: str, expect: str) -> None:
    child.send(keys + "\r")
    child.expect_exact(expect)
    child.expect_exact(READY)


def quit_chat(child: pexpect.spawn) -> None:
    child.send("\x04")  # Ctrl-D on an empty line
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_line_editing_chinese_and_history(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    # "fee", three steps left, "certification " in front: the certification fee's own answer (the keys
    # taken as text would ask about "fee…" and get the list of all three fees)
    ask(child, "fee" + LEFT * 3 + "certification ", "To receive the certificate, factories pay the Certification Fee")
    # wide characters: "认证费是多少", six steps left to the start, two deleted, "注册" typed: 注册费是多少,
    # the registration fee (taken as text, the keys would leave 认证费, the certification fee)
    ask(child, "认证费是多少" + LEFT * 6 + DELETE * 2 + "注册", "新工厂需直接向项目支付新工厂注册费 1,500")
    ask(child, "/help", "Commands:")
    ask(child, UP, "Commands:")  # Up recalls /help
    quit_chat(child)
    history = history_path({"XDG_STATE_HOME": str(tmp_path / "state")})
    kept = history.read_text(encoding="utf-8")
    assert "+/help" in kept and "注册" not in kept and "certification" not in kept  # only commands on disk
    assert history.stat().st_mode & 0o077 == 0


def test_a_staff_reply_appears_while_the_chat_is_open(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    ask(child, "/help", "Commands:")

    async def staff_replies() -> None:  # what a staff reply leaves for a terminal reporter: an outbox row
        key = (tmp_path / "etp-bot.key").read_text().strip()
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
        try:
            async with db.session() as s:
                await enqueue(s, Secrets(key), channel="terminal", kind="staff_reply",
                              replies=[Reply("Staff: we have called the factory about your wages.")],
                              destination=f"local:{getpass.getuser()}")
        finally:
            await db.close()

    asyncio.run(staff_replies())
    child.expect_exact("Staff: we have called the factory about your wages.", timeout=15)  # nothing typed
    child.expect_exact(READY)  # the prompt is drawn again below it
    ask(child, "registration fee", "1,500")  # and the chat goes on
    quit_chat(child)


def test_without_a_terminal_lines_are_read_plainly(tmp_path: Path) -> None:
    import subprocess

    base = {k: v for k, v in os.environ.items() if not k.startswith(("ETP_", "WECHAT_", "TELEGRAM_"))}
    env = {**base, "PYTHONPATH": str(ROOT), "ETP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
           "ETP_KEY_FILE": str(tmp_path / "k"), "XDG_STATE_HOME": str(tmp_path / "state")}
    out = subprocess.run([sys.executable, "-m", "bot", "chat", "--lang", "en"], input="registration fee\n",
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 0 and "1,500" in out.stdout and "\x1b[" not in out.stdout
    assert not history_path({"XDG_STATE_HOME": str(tmp_path / "state")}).exists()
