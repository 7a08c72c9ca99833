"""Case references: `H-7KQ3-9XPM-4D2A`. A queue letter, then 12 characters of Crockford base-32
(60 random bits from `secrets`) in three groups. Read back in any letter case, with or without
dashes or spaces, with I/L as 1 and O as 0 (Crockford's rules for hand-copied codes)."""
from __future__ import annotations

import re
import secrets

from bot.core.models.cases import HELPDESK, HELPLINE, INTEGRITY

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIXES = {HELPLINE: "H", INTEGRITY: "I", HELPDESK: "D"}
QUEUE_OF = {p: q for q, p in PREFIXES.items()}
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.]")
# at least this many digits, so that a reference sent without dashes is never an ordinary word
MIN_DIGITS = 2


def new_reference(queue: str) -> str:
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(12))
        if sum(c.isdigit() for c in body) >= MIN_DIGITS:
            return f"{PREFIXES[queue]}-{body[0:4]}-{body[4:8]}-{body[8:12]}"


def normalize(text: str) -> str | None:
    """The canonical form of a typed reference, or None when it cannot be one."""
    raw = _SEPARATORS.sub("", text or "").upper()
    if len(raw) != 13 or raw[0] not in QUEUE_OF:
        return None
    body = raw[1:].translate(_READ_AS)
    if any(c not in ALPHABET for c in body):
        return None
    return f"{raw[0]}-{body[0:4]}-{body[4:8]}-{body[8:12]}"


def looks_like_reference(text: str) -> bool:
    """A message that is a reference on its own: written with dashes, or with digits in it (so
    that a 13-letter word such as "deforestation" is not taken for one)."""
    text = (text or "").strip()
    canonical = normalize(text)
    if canonical is None or len(text) > 20:
        return False
    return "-" in text or sum(c.isdigit() for c in text) >= MIN_DIGITS


def queue_of(reference: str) -> str:
    return QUEUE_OF[reference[0]]
