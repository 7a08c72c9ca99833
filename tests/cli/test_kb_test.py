"""`etp-bot kb test`: the report staff read after editing the knowledge data, in a real process."""
import json
import os
from pathlib import Path

from tests.cli.test_cli import ROOT, run

SAMPLE = Path(os.environ.get("ETP_SHARED_DIR") or ROOT.parent / "shared") / "eval" / "faq-sample.jsonl"
BATCH = ROOT / "tests" / "knowledge" / "batches" / "b18.jsonl"


def _write(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path


def test_a_file_that_scores_well_passes_with_a_readable_report(tmp_path) -> None:
    files = [str(BATCH), *([str(SAMPLE)] if SAMPLE.is_file() else [])]
    html = tmp_path / "report.html"
    out = run(["kb", "test", *files, "--html", str(html)])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Knowledge test:" in out.stdout and "By language" in out.stdout and "By topic answered" in out.stdout
    assert "  zh " in out.stdout and "fees.registration" in out.stdout
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<h2>By language</h2>" in page and "b18.jsonl" in page


def test_misses_are_listed_with_expected_and_given_and_fail_under_the_threshold(tmp_path) -> None:
    f = _write(tmp_path / "edited.jsonl", [
        {"q": "How much is the registration fee?", "lang": "en", "expect": [["1500"]]},
        {"q": "注册费多少", "lang": "zh", "expect": [["1500"]]},
        # a wrong label, as after a bad edit: the registration fee is not 2,000
        {"q": "How much is the registration fee?", "lang": "en", "expect": [["2000"]], "topic": "fees.registration"},
        {"q": "tell me a joke", "oos": True},
        {"q": "What is the registration fee <b>now</b>?", "lang": "en", "topic": "fees.audit"},
    ])
    html = tmp_path / "r.html"
    out = run(["kb", "test", str(f), "--html", str(html), "--threshold", "0.9"])
    assert out.returncode == 1 and "FAILED: 60.0% is below the threshold of 90%" in out.stdout
    assert "3 of 5 right (60.0%)" in out.stdout
    assert "expected the answer to contain '2000'" in out.stdout and "gave     fees.registration" in out.stdout
    assert "fees.audit → fees.registration: 1" in out.stdout  # a confusion pair of a labelled miss
    assert "By topic expected (recall" in out.stdout and "(declined)" in out.stdout
    assert "Confidently wrong" in out.stdout
    page = html.read_text(encoding="utf-8")
    assert "&lt;b&gt;now&lt;/b&gt;" in page and "<b>now</b>" not in page  # questions are escaped
    assert 'class="confident"' in page and "By topic expected (recall" in page
    # the same file passes with a lower threshold
    assert run(["kb", "test", str(f), "--threshold", "0.5"]).returncode == 0


def test_bad_input_is_named(tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "fee"}\nnot json\n', encoding="utf-8")
    out = run(["kb", "test", str(bad)])
    assert out.returncode == 2 and "bad.jsonl:2: not JSON" in out.stderr
    out = run(["kb", "test", str(tmp_path / "missing.jsonl")])
    assert out.returncode == 2 and "no such file" in out.stderr
