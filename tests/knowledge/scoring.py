"""The scorer of question files is ``knowledge.evaluation`` (also behind ``etp-bot kb test``);
this module keeps the old entry point: ``python -m tests.knowledge.scoring FILE.jsonl ...``."""
from __future__ import annotations

import json
from pathlib import Path

from knowledge.evaluation import check, clean, load_jsonl, score

__all__ = ["check", "clean", "load_jsonl", "score"]

if __name__ == "__main__":
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
