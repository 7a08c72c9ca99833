"""Knowledge base and answering engine of etp-bot.

    from knowledge import load_default
    kb = load_default()
    a = kb.answer("How much is the registration fee?")
    a.to_dict()  # the CONTRACT's ask --json object

Data live in ``knowledge/data`` (TOML); ``ETP_KNOWLEDGE_DIR`` may point to a directory with the same
layout whose files replace the packaged ones file by file (operators edit without reinstalling).
"""
from __future__ import annotations

import functools
import gc
import os
from pathlib import Path

from knowledge.engine import KnowledgeBase
from knowledge.errors import KnowledgeError
from knowledge.model import Answer, BlackoutWindow, Facts, Status, Suggestion

DATA_DIR = Path(__file__).resolve().parent / "data"

__all__ = ["Answer", "BlackoutWindow", "DATA_DIR", "Facts", "KnowledgeBase", "KnowledgeError", "Status",
           "Suggestion", "load", "load_default"]


def load(path: str | os.PathLike[str]) -> KnowledgeBase:
    """Load a knowledge directory (full layout) without the packaged defaults."""
    return KnowledgeBase.from_dir(path)


@functools.lru_cache(maxsize=1)
def _load_default(override: str | None) -> KnowledgeBase:
    kb = KnowledgeBase.from_dir(DATA_DIR, override or None)
    # the index is tens of thousands of long-lived objects: move them out of the garbage
    # collector's young generations so collections during answering stay short (p99 latency)
    gc.collect()
    gc.freeze()
    return kb


def load_default() -> KnowledgeBase:
    """The packaged knowledge base, overlaid with ``$ETP_KNOWLEDGE_DIR`` when set; cached."""
    return _load_default(os.environ.get("ETP_KNOWLEDGE_DIR") or None)
