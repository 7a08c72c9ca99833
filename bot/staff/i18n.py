"""The console's two languages (English, Simplified Chinese) with gettext catalogues kept as `.po`
files in `bot/staff/locale/` (Babel reads and compiles them when the module loads, so a clean
checkout needs no build step). English is the source text; a string missing from the Chinese
catalogue is shown in English (the test `tests/bot/staff/test_console_i18n.py` finds none).

Templates call `_("text %(name)s", name=value)`; Python code marks texts with `N_` and translates
them when a page is rendered."""
from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from gettext import NullTranslations
from pathlib import Path

LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "console"
LANGS = ("en", "zh")  # zh: Simplified Chinese
DEFAULT = "en"
LANG_NAMES = {"en": "English", "zh": "中文"}
HTML_LANG = {"en": "en", "zh": "zh-Hans"}


def N_(text: str) -> str:  # the gettext convention: marked for extraction, translated later
    return text


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of `lang` (English: none, the source text)."""
    path = po_path(lang)
    if lang == DEFAULT or not path.exists():
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with path.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans_CN" if lang == "zh" else lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def choose(value: str | None) -> str:
    return value if value in LANGS else DEFAULT


def from_accept_language(header: str | None) -> str:
    """The sign-in page before anyone is known: Chinese when the browser asks for it first."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


def gettext_for(lang: str) -> Callable[..., str]:
    """`_(text, **values)`: the text in `lang`, its `%(name)s` placeholders filled."""
    lookup = translations(choose(lang)).gettext

    def _(text: str, **values: object) -> str:
        found = lookup(text)
        return found % values if values else found

    return _
