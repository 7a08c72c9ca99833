"""The public evaluation sample (../shared/eval) and our own held-out questions."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .scoring import load_jsonl, score

REPO = Path(__file__).resolve().parents[2]
# the program's shared folder: next to the repository, or where ETP_SHARED_DIR says
SAMPLE = Path(os.environ.get("ETP_SHARED_DIR") or REPO.parent / "shared") / "eval" / "faq-sample.jsonl"
HELDOUT = Path(__file__).resolve().parent / "heldout.jsonl"
# later batches, one file each (written blind, then kept passing): scored with heldout.jsonl
BATCHES = sorted((Path(__file__).resolve().parent / "batches").glob("*.jsonl"))


def _heldout() -> list[dict]:
    return [item for f in (HELDOUT, *BATCHES) for item in load_jsonl(f)]


def _report(failures) -> str:
    return "\n".join(f"{item['q']!r} -> {a['topic']} {a['answer'][:100]!r}" for item, a in failures)


def test_public_sample_scores_at_least_95_percent(kb):
    if not SAMPLE.is_file():  # a clone elsewhere (CI's) has no shared folder: the held-out sets below still run
        pytest.skip(f"{SAMPLE} not found (set ETP_SHARED_DIR, or clone next to the shared folder)")
    items = load_jsonl(SAMPLE)
    s, failures = score(kb, items)
    assert s >= 0.95, _report(failures)


def test_heldout_questions_score_well_above_90_percent(kb):
    items = _heldout()
    assert BATCHES and len([i for i in items if i.get("oos")]) >= 20 and len(items) >= 100
    s, failures = score(kb, items)
    assert s >= 0.95, f"{s:.1%}\n" + _report(failures)


def test_heldout_off_topic_all_declined(kb):
    items = [i for i in _heldout() if i.get("oos")]
    s, failures = score(kb, items)
    assert s == 1.0, _report(failures)
