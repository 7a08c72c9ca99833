"""Each contact number is written one way, the facts' (`knowledge/data/facts.toml`), wherever the
program's texts, the docs and the code state it."""
import re
from pathlib import Path

from knowledge import load_default

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["bot", "handlers", "integrations", "knowledge", "docs", "deploy", "README.md"]
SUFFIXES = {".py", ".toml", ".md", ".html", ".txt", ".j2", ".yml", ".example", ".service"}


def files():
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (p for p in path.rglob("*") if p.is_file() and (p.suffix in SUFFIXES or p.name.endswith(
                ".example")) and "__pycache__" not in p.parts)


def spelled(phone: str) -> re.Pattern:
    """Any writing of `phone`'s last eight digits with spaces or dashes between, with an optional prefix."""
    digits = re.sub(r"\D", "", phone)
    local, country = digits[-8:], digits[:-8]
    body = r"[\s-]?".join(local)
    prefix = rf"(?:\+?{country}[\s-]*)?" if country else ""
    return re.compile(prefix + body)


def test_every_contact_number_is_spelled_as_in_the_facts() -> None:
    contacts = load_default().facts.contacts
    phones = [c.phone for c in (contacts.helpdesk, contacts.helpline) if c.phone]
    assert len(phones) == 2
    wrong = []
    for path in files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for phone in phones:
            for m in spelled(phone).finditer(text):
                if m.group(0) != phone:
                    wrong.append(f"{path.relative_to(ROOT)}: {m.group(0)!r} (the facts: {phone!r})")
    assert not wrong, "\n".join(wrong)
