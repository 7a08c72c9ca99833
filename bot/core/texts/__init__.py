"""The bot's own words in English and Simplified Chinese (program facts come from the knowledge
base, never from here), one TOML file per area in this folder:

    [bind.ok]
    en = "This chat is now linked to {factory}."
    zh = "此聊天已绑定到 {factory}。"

Both languages are required and must use the same `{placeholders}`; a key is defined once across
all files. The files are checked when this module is imported, and an error names the file and
the key. Code uses whole keys (`t("bind.ok", lang, factory=…)`), never keys built from pieces, so
`git grep` finds every use; `tests/bot/core/test_texts.py` checks that every key used exists.
"""
from __future__ import annotations

import string
import tomllib
from pathlib import Path
from typing import Any

LANGS = ("en", "zh")
FOLDER = Path(__file__).resolve().parent


class TextError(ValueError):
    """A text file breaks the rules above."""


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_text(where: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TextError(f"{where}: [{key}] must be a table with {' and '.join(LANGS)}")
    missing = [lang for lang in LANGS if not isinstance(value.get(lang), str) or not value[lang].strip()]
    if missing:
        raise TextError(f"{where}: [{key}] lacks {', '.join(missing)}")
    extra = sorted(set(value) - set(LANGS))
    if extra:
        raise TextError(f"{where}: [{key}] has unknown entries {', '.join(extra)}")
    names = {lang: placeholders(value[lang]) for lang in LANGS}
    if len({frozenset(n) for n in names.values()}) > 1:
        shown = "; ".join(f"{lang}: {sorted(n) or 'none'}" for lang, n in names.items())
        raise TextError(f"{where}: [{key}] uses different placeholders ({shown})")
    return {lang: value[lang] for lang in LANGS}


def load(folder: Path = FOLDER) -> dict[str, dict[str, str]]:
    """Every text of every `*.toml` in `folder`, checked."""
    texts: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise TextError(f"{path.name}: {exc}") from exc
        for key, value in data.items():
            if key in texts:
                raise TextError(f"{path.name}: [{key}] is already defined in {origin[key]}")
            texts[key], origin[key] = check_text(path.name, key, value), path.name
    return texts


TEXTS: dict[str, dict[str, str]] = load()


def t(key: str, lang: str, **kw: Any) -> str:
    text = TEXTS[key].get(lang) or TEXTS[key]["en"]
    return text.format(**kw) if kw else text
