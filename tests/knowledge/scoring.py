"""Scorer of the evaluation format of ../shared/eval/faq-sample.jsonl (also used for our held-out set).

Each line: {"q": ..., "lang": ..., "expect": [[alt, ...], ...]} or {"q": ..., "oos": true}.
A line passes when every group in ``expect`` has one alternative in the answer (after lower-casing
the answer and removing thousands separators), or, for ``oos`` lines, when topic is None.
Optional ``topic`` (ours only): the expected topic id, checked too.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from knowledge import KnowledgeBase

_THOUSANDS = re.compile(r"(?<=\d),(?=\d)")


def clean(text: str) -> str:
    return _THOUSANDS.sub("", text.lower())


def check(kb: KnowledgeBase, item: dict) -> tuple[bool, dict]:
    a = kb.answer(item["q"]).to_dict()
    if item.get("oos"):
        return a["topic"] is None, a
    text = clean(a["answer"])
    ok = all(any(clean(alt) in text for alt in group) for group in item.get("expect", []))
    if "topic" in item and a["topic"] != item["topic"]:
        ok = False
    if item.get("lang") and a["lang"] != item["lang"]:
        ok = False
    return ok, a


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(kb: KnowledgeBase, items: list[dict]) -> tuple[float, list[tuple[dict, dict]]]:
    failures = []
    for item in items:
        ok, a = check(kb, item)
        if not ok:
            failures.append((item, a))
    return (1 - len(failures) / len(items)) if items else 1.0, failures


if __name__ == "__main__":  # python -m tests.knowledge.scoring FILE.jsonl
    import sys

    import knowledge

    kb = knowledge.load_default()
    for f in sys.argv[1:]:
        items = load_jsonl(Path(f))
        s, fails = score(kb, items)
        print(f"{f}: {s:.1%} ({len(items) - len(fails)}/{len(items)})")
        for item, a in fails:
            print("  FAIL", json.dumps(item, ensure_ascii=False))
            print("      ", a["topic"], a["confidence"], a["answer"][:160].replace("\n", " "))
