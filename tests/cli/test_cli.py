"""The command line as a user runs it: `etp-bot ask` and `etp-bot chat` in a real process."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], stdin: str = "", env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=60)


def test_ask_one_question_json_matches_the_contract() -> None:
    out = run(["ask", "--json", "How much is the registration fee?"])
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"answer", "topic", "confidence", "lang", "handoff", "suggestions", "source"}
    assert "1,500" in data["answer"] and data["lang"] == "en" and data["source"]


def test_ask_batch_gives_one_line_per_question_even_for_blank_lines() -> None:
    out = run(["ask", "--json"], stdin="registration fee\n\n注册费多少\ntell me a joke\n")
    lines = out.stdout.splitlines()
    assert len(lines) == 4
    answers = [json.loads(line) for line in lines]
    assert answers[2]["lang"] == "zh" and "1,500" in answers[2]["answer"].replace("1500", "1,500")
    assert answers[3]["topic"] is None


def test_ask_plain_batch_separates_answers_by_a_blank_line() -> None:
    out = run(["ask"], stdin="registration fee\ncertification fee\n")
    assert out.stdout.count("\n\n") == 1 and "1,500" in out.stdout and "800" in out.stdout


def test_ask_rejects_a_bad_date_clearly() -> None:
    out = run(["ask", "--today", "23/11/2026", "fee"])
    assert out.returncode == 2 and "YYYY-MM-DD" in out.stderr


def test_chat_in_the_terminal_with_numbered_choices(tmp_path: Path) -> None:
    env = {"ETP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", "ETP_KEY_FILE": str(tmp_path / "k")}
    out = run(["chat"], stdin="2\n注册费是多少？\n/lang en\nwhat is the audit fee per man-day?\n", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1. English" in out.stdout and "2. 中文" in out.stdout
    assert "已切换为中文" in out.stdout and "1,500" in out.stdout and "500" in out.stdout
    assert (tmp_path / "k").exists()  # the generated key, kept for the next start
