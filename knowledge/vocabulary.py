"""The answering rules' vocabulary (``vocabulary.toml``): word patterns, compiled and checked at load.

Each pattern is a list of regular-expression alternatives joined with ``|``; a missing key, an empty
list or a pattern that does not compile raises ``KnowledgeError(file, key, reason)``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.loader import STATUS_KEYS, read_toml

PATTERNS = ("clause", "sentence", "asking", "clause_ask", "refers_back", "program", "both", "money", "fee_detail",
            "unknown_detail", "validity", "next_step", "total", "pv", "holiday", "blackout")
AREAS = ("audit", "pv", "fees", "contacts")


@dataclass(frozen=True)
class Vocabulary:
    clause: re.Pattern[str]      # where a message splits into clauses
    sentence: re.Pattern[str]    # where a message splits into sentences
    asking: re.Pattern[str]      # a sentence that asks
    clause_ask: re.Pattern[str]  # a clause that asks (stricter)
    refers_back: re.Pattern[str]  # refers back to another scheme ("accept it instead")
    program: re.Pattern[str]     # the program named
    both: re.Pattern[str]        # one question about two things
    money: re.Pattern[str]       # money words
    fee_detail: re.Pattern[str]  # a fee's details the seeds don't give (not a fee to compute)
    unknown_detail: re.Pattern[str]  # instalments, discounts, payment methods, tax, travel: said unknown
    validity: re.Pattern[str]    # how long a status lasts, when it ends
    next_step: re.Pattern[str]   # what to do next
    total: re.Pattern[str]       # a total cost
    pv: re.Pattern[str]          # the Progress Visit (prepared question)
    holiday: re.Pattern[str]     # holidays and blackout windows
    blackout: re.Pattern[str]    # an audit or visit being scheduled
    area_words: dict[str, re.Pattern[str]]             # a clause naming its own subject
    statuses: tuple[tuple[str, re.Pattern[str]], ...]  # status words, most specific first
    price_features: frozenset[str]                     # features that only ask "how much"

    def status_in(self, norm: str) -> str | None:
        """The status a normalised question names, or None."""
        for key, pat in self.statuses:
            if pat.search(norm):
                return key
        return None


def _compile(value: object, file: str, key: str) -> re.Pattern[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise KnowledgeError(file, key, "must be a non-empty list of regular expressions")
    try:
        return re.compile("|".join(value))
    except re.error as exc:
        raise KnowledgeError(file, key, f"bad pattern: {exc}") from None


def load_vocabulary(path: Path) -> Vocabulary:
    raw = read_toml(path)
    file = str(path)
    patterns = raw.get("patterns")
    if not isinstance(patterns, dict):
        raise KnowledgeError(file, "patterns", "needs a [patterns] table")
    compiled = {}
    for key in PATTERNS:
        if key not in patterns:
            raise KnowledgeError(file, key, "pattern is missing")
        compiled[key] = _compile(patterns[key], file, key)
    areas = raw.get("area_words")
    if not isinstance(areas, dict) or any(a not in areas for a in AREAS):
        raise KnowledgeError(file, "area_words", f"needs a pattern for each of {', '.join(AREAS)}")
    statuses = []
    for i, st in enumerate(raw.get("status", [])):
        key = st.get("key") if isinstance(st, dict) else None
        if key not in STATUS_KEYS:
            raise KnowledgeError(file, f"status[{i}]", f"'key' must be one of {', '.join(STATUS_KEYS)}")
        statuses.append((key, _compile(st.get("pattern"), file, f"status[{i}]")))
    if {k for k, _ in statuses} != set(STATUS_KEYS):
        raise KnowledgeError(file, "status", "needs one [[status]] table for each status")
    price = raw.get("price", {}).get("features")
    if not isinstance(price, list) or not price or not all(
            isinstance(f, str) and re.match(r"^[wbz]:\S+$", f) for f in price):
        raise KnowledgeError(file, "price", "'features' must be a list like [\"z:多少\", \"w:cost\"]")
    return Vocabulary(**compiled, area_words={a: _compile(areas[a], file, f"area_words.{a}") for a in areas},
                      statuses=tuple(statuses), price_features=frozenset(price))
