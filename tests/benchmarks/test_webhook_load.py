"""The load benchmark keeps working (it verifies exactly-once from the database, so a change of the
inbox's keys must not silently turn it into a report of losses), and its check catches a loss."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

import webhook_load as wl

from bot.core.models import messaging as st
from integrations.inbox import Delivery, Inbox
from integrations.wechat.receive import parse_message, safe_xml, to_incoming
from tests.conftest import SECRET, require
from tests.fakes.wechat import WeChatPlatform

SCRIPT = Path(wl.__file__)


def short_run(tmp_path: Path, *args: str) -> tuple[str, list[list[str]]]:
    """The script's output and its SQLite result lines, split into columns."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "1", "--databases", "sqlite", "--processes", "1",
         "--concurrency", "4", *args], capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, [line.split() for line in done.stdout.splitlines() if line.startswith("sqlite ")]


def assert_verified(out: str, lines: list[list[str]]) -> None:
    """Every line answered something with no error, none lost, none twice, and the script says so."""
    for line in lines:
        answered, errors, lost, twice = (int(v) for v in line[-4:])
        assert answered > 0 and (errors, lost, twice) == (0, 0, 0), out
    assert "verified: every acknowledged message processed, none twice" in out


async def processed(runtime, messages: list[wl.Message]) -> None:
    """Store and process `messages` under the key the server gives them."""
    async def respond(session, contact, replies, inbox_id, passive, incoming) -> Delivery:
        return Delivery(st.PASSIVE)

    platform = WeChatPlatform(wl.TOKEN, None, wl.APP_ID)
    inbox = Inbox(runtime, "wechat", respond)
    for message in messages:
        incoming = to_incoming(parse_message(safe_xml(platform.text(message.sender, "menu", msg_id=message.msg_id)
                                                      .encode("utf-8"))))
        row, _ = await inbox.store(incoming.message_id, incoming)
        assert (await inbox.process(row)).ran


def test_a_short_run_answers_and_verifies(tmp_path: Path) -> None:
    out, lines = short_run(tmp_path, "--modes", "plain,safe", "--senders", "20")
    assert [line[1] for line in lines] == ["plain", "safe"]
    assert_verified(out, lines)


def test_a_short_run_under_wrk_counts_and_verifies(tmp_path: Path) -> None:
    """wrk (the issue's load generator) drives both servers; the check is by counts."""
    require(shutil.which("wrk") is not None, "wrk (Debian's package) is not installed")
    out, lines = short_run(tmp_path, "--driver", "wrk", "--modes", "plain", "--senders", "200")
    assert len(lines) == 1, out
    bare_rps, bot_rps = float(lines[0][4]), float(lines[0][7])
    assert bare_rps > 0 and bot_rps > 0
    assert_verified(out, lines)


async def test_the_check_counts_an_acknowledged_message_not_processed_as_lost(runtime, config) -> None:
    messages = wl.build_messages(3, 0.0, False, "check")
    await processed(runtime, messages[:2])
    check = await wl.verify(config.database_url, SECRET, messages, {m.msg_id for m in messages})
    assert (check.acknowledged, check.processed, check.lost, check.twice) == (3, 2, 1, 0)
    # by counts (wrk): the unprocessed one is lost unless a request went unanswered
    by_counts = await wl.verify(config.database_url, SECRET, messages, None, unanswered=0)
    assert (by_counts.acknowledged, by_counts.processed, by_counts.lost) == (3, 2, 1)
    forgiven = await wl.verify(config.database_url, SECRET, messages, None, unanswered=1)
    assert forgiven.lost == 0


async def test_a_retry_sent_without_its_original_is_one_message_neither_lost_nor_twice(runtime, config) -> None:
    """Two servers, two wrk: a retry in one's share may repeat a MsgId whose original the other
    never sent. The server processed it once; the check must count it once."""
    original = wl.build_messages(1, 0.0, False, "retry")[0]
    retry = wl.Message(original.query, original.body, original.msg_id, original.sender, True)
    await processed(runtime, [retry])
    for acknowledged in ({retry.msg_id}, None):
        check = await wl.verify(config.database_url, SECRET, [retry], acknowledged)
        assert (check.acknowledged, check.processed, check.lost, check.twice) == (1, 1, 0, 0)


def test_the_inbox_batch_benchmark_runs_and_counts_statements(tmp_path: Path) -> None:
    """benchmarks/inbox_batch.py: a short run answers every message and prints, for each phase,
    the CPU a message and the statements a batch (fewer than its messages, from new senders as
    from known ones)."""
    size = 16
    done = subprocess.run([sys.executable, str(SCRIPT.parent / "inbox_batch.py"), "--batches", "2", "--size", str(size)],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith(("new ", "known "))]
    assert [" ".join(r[:2]) for r in rows] == ["new senders", "known senders", "known senders"]
    for r in rows:
        total, process_statements = float(r[4]), float(r[-1])
        # a handful a batch, plus one for each unanswered question (does its sender report to the
        # helpline?); before new senders' contacts were made together, 6-7 for each of their messages
        assert total > 0 and process_statements < 1.5 * size, done.stdout


def test_a_run_of_new_senders_answers_and_verifies(tmp_path: Path) -> None:
    """`--new-senders`: every measured message is its sender's first; all answered, none lost."""
    out, lines = short_run(tmp_path, "--modes", "plain", "--senders", "40", "--new-senders")
    assert len(lines) == 1, out
    assert_verified(out, lines)


def test_tree_runs_the_server_from_that_checkout(tmp_path: Path) -> None:
    """An A/B run measures the other commit's server: `--tree` imports that checkout's `bot`, not
    this one's (a copy whose cli leaves a mark when it starts)."""
    root = SCRIPT.parents[1]
    tree = tmp_path / "other"
    for package in ("bot", "handlers", "knowledge", "integrations"):
        shutil.copytree(root / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    mark = tmp_path / "started-from-other-tree"
    cli = tree / "bot" / "cli.py"
    cli.write_text(cli.read_text().replace("\nimport ", f"\nimport pathlib\npathlib.Path({str(mark)!r}).touch()\nimport ", 1))
    out, lines = short_run(tmp_path, "--modes", "plain", "--senders", "20", "--tree", str(tree))
    assert mark.exists(), out
    assert_verified(out, lines)


def test_tree_must_be_a_checkout(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        wl.parse(["--tree", str(tmp_path)])
    assert "not an etp-bot checkout" in capsys.readouterr().err
