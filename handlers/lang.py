"""Which language a message is written in."""
from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def detect(text: str, default: str = "en") -> str:
    if has_cjk(text):
        return "zh"
    return "en" if re.search(r"[A-Za-z]{2,}", text) else default


def answer_lang(text: str, preferred: str | None) -> str:
    """Chinese text gets a Chinese answer; otherwise the contact's language."""
    return "zh" if has_cjk(text) else (preferred or "en")
