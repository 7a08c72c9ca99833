"""`etp-bot … --help`: every command and every option says what it is for."""
import argparse
import subprocess
import sys
from pathlib import Path

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {a.dest for a in action._choices_actions}
            for name, sub in action.choices.items():
                assert name in helped, f"`etp-bot {' '.join((*path, name))}` has no help line"
                yield from commands(sub, (*path, name))


def test_every_option_and_argument_of_every_command_has_help() -> None:
    missing = []
    walked = list(commands(build_parser()))
    for path, parser in walked:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"etp-bot {' '.join(path)} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, "no help text: " + ", ".join(missing)
    assert len(walked) > 15  # every group and its actions were walked


def test_help_runs_for_every_command() -> None:
    for path, _ in commands(build_parser()):
        r = subprocess.run([sys.executable, "-m", "bot", *path, "--help"], capture_output=True, text=True,
                           cwd=ROOT, timeout=30)
        assert r.returncode == 0 and "usage: etp-bot" in r.stdout, (path, r.stderr)


def test_staff_add_refuses_a_weak_password_before_asking_it_again(tmp_path: Path) -> None:
    import os

    import pexpect

    env = {**os.environ, "PYTHONPATH": str(ROOT), "ETP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"}
    child = pexpect.spawn(sys.executable, ["-m", "bot", "staff", "add", "amy@example.org", "--role", "helpdesk"],
                          env=env, cwd=str(tmp_path), encoding="utf-8", timeout=30)
    child.expect_exact("Password: ")
    child.sendline("password1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "Repeat" not in child.before and "etp-bot: " in child.before and "Traceback" not in child.before
    child = pexpect.spawn(sys.executable, ["-m", "bot", "staff", "add", "amy@example.org", "--role", "helpdesk"],
                          env=env, cwd=str(tmp_path), encoding="utf-8", timeout=30)
    child.expect_exact("Password: ")
    child.sendline("violet tram harbour 42")
    child.expect_exact("Repeat the password: ")
    child.sendline("violet tram harbour 42")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "staff account amy@example.org (helpdesk) created" in child.before
