"""Cutting long texts into the pieces a platform accepts, at line or word boundaries."""
from __future__ import annotations

from collections.abc import Callable


def _utf8_len(s: str) -> int:
    return len(s.encode("utf-8"))


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Pieces of at most `limit` (as `measure` counts: characters by default; `split_bytes`
    counts UTF-8 bytes), cut at the last newline, else the last space, else anywhere."""
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _fit(rest, limit, measure)
        window = rest[:cut]
        at = window.rfind("\n")
        if at <= cut // 2:
            at = window.rfind(" ")
        if at > cut // 2:
            cut = at
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def split_bytes(text: str, limit: int) -> list[str]:
    return split_text(text, limit, _utf8_len)


def pack_bytes(texts: list[str], limit: int, sep: str = "\n\n") -> list[str]:
    """Messages of at most `limit` UTF-8 bytes: each text split if needed, consecutive pieces
    joined while they fit (fewer messages: one WeChat passive reply carries as much as it can)."""
    out: list[str] = []
    for text in texts:
        for piece in split_bytes(text, limit):
            if not piece:
                continue
            if out and _utf8_len(out[-1] + sep + piece) <= limit:
                out[-1] = out[-1] + sep + piece
            else:
                out.append(piece)
    return out


def _fit(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The longest prefix length of `text` that measures at most `limit` (binary search)."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo
