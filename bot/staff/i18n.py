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

from markupsafe import Markup, escape

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
    """`_(text, **values)`: the text in `lang`, its `%(name)s` placeholders filled (plain text,
    for Python code: the page escapes it when shown)."""
    lookup = translations(choose(lang)).gettext

    def _(text: str, **values: object) -> str:
        found = lookup(text)
        return found % values if values else found

    return _


def template_gettext_for(lang: str) -> Callable[..., Markup]:
    """`_` of the templates: the translation is escaped, and so is every value put into it
    unless it is markup itself (`Markup`), so a text may hold a `<strong>` given as a value."""
    lookup = translations(choose(lang)).gettext

    def _(text: str, **values: object) -> Markup:
        found = escape(lookup(text))
        return found % values if values else found

    return _


def extract():
    """Every console string: `_("…")` in the templates and in `bot/staff/*.py`, and `N_("…")`
    (a Babel catalogue, with where each is used)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parent
    catalog = Catalog(domain=DOMAIN, project="etp-bot staff console")
    method_map = [("templates/**.html", "jinja2.ext:babel_extract"), ("*.py", "python")]
    options = {"templates/**.html": {"encoding": "utf-8"}}
    for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map, options_map=options, keywords={"_": None, "N_": None}):
        catalog.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update_catalogue(lang: str = "zh") -> list[str]:
    """Merge the strings of the code into `lang`'s .po (new ones empty, gone ones dropped);
    returns the strings still without a translation."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = extract()
    path = po_path(lang)
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale="zh_Hans_CN" if lang == "zh" else lang, domain=DOMAIN)
    else:
        catalog = Catalog(locale="zh_Hans_CN" if lang == "zh" else lang, domain=DOMAIN)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.project, catalog.version, catalog.fuzzy = "etp-bot staff console", "", False
    catalog.copyright_holder = catalog.msgid_bugs_address = catalog.last_translator = ""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
    return [m.id for m in catalog if m.id and not m.string]


if __name__ == "__main__":  # python -m bot.staff.i18n: refresh the Chinese catalogue after changing texts
    missing = update_catalogue()
    print(f"{po_path('zh')}: {len(missing)} string(s) without a translation")
    for text in missing:
        print("  " + text)
