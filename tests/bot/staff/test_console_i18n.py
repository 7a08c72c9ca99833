"""The console in English and Simplified Chinese: every string of the console has both (the
Chinese catalogue, `bot/staff/locale/zh/LC_MESSAGES/console.po`, read when the module loads), no
template holds text outside `_()`, and the language switch is remembered per staff member."""
import re

import jinja2
from babel.messages.pofile import read_po
from jinja2 import nodes

from bot.staff import TEMPLATES, i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
NOT_YET: set[str] = set()  # templates whose strings are not marked yet: none


def _catalogue():
    with i18n.po_path("zh").open("rb") as f:
        return read_po(f, locale="zh_Hans_CN", domain=i18n.DOMAIN)


def test_every_console_string_has_a_chinese_translation_with_the_same_placeholders() -> None:
    used = {m.id for m in i18n.extract() if m.id}
    catalogue = {m.id: m.string for m in _catalogue() if m.id}
    assert len(used) > 150  # the templates and the views were read
    missing = sorted(text for text in used if not catalogue.get(text))
    assert missing == [], f"not in console.po (run python -m bot.staff.i18n): {missing}"
    assert sorted(set(catalogue) - used) == [], "strings no longer used are still in console.po"
    for text, translated in catalogue.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(translated)), text
        assert translated != text or not re.search(r"[a-z]{3}", text), f"not translated: {text}"
    zh = i18n.gettext_for("zh")
    assert zh("Sign out") == "退出" and zh("%(n)s min", n=5) == "5 分钟"
    assert i18n.gettext_for("en")("%(n)s min", n=5) == "5 min"


def _loose_text(source: str) -> list[str]:
    """Words of a template outside its tags and expressions (what a reader sees untranslated)."""
    tree = jinja2.Environment().parse(source)
    data = "\x00".join(node.data for node in tree.find_all(nodes.TemplateData))
    data = re.sub(r"<script\b.*?</script>", "", data, flags=re.S)
    data = re.sub(r"<[^>]*>", " ", data)
    data = re.sub(r"&\w+;|&#\d+;", " ", data)
    return [w for w in re.findall(r"[A-Za-z]{2,}", data) if w not in {"etp", "bot"}]


def test_no_template_shows_text_outside_the_catalogue() -> None:
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.name in NOT_YET:
            continue
        words = _loose_text(path.read_text(encoding="utf-8"))
        if words:
            found[str(path.relative_to(TEMPLATES))] = words
    assert found == {}
    assert _loose_text('<p class="x">{{ _("Fine") }}</p> Not fine') == ["Not", "fine"]  # the check sees text


async def test_the_language_switch_is_remembered_per_staff_member(sign_in, console) -> None:
    line = await sign_in("line@etp.org")
    english = await (await line.client.get("/staff/")).text()
    assert '<html lang="en">' in english and ">Sign out<" in english and ">中文</button>" in english
    switched = await line.post("/staff/language", lang="zh", next="/staff/statistics")
    assert switched.status == 303 and switched.headers["Location"] == "/staff/statistics"
    chinese = await (await line.client.get("/staff/")).text()
    assert '<html lang="zh-Hans">' in chinese and ">退出<" in chinese and "热线个案" in chinese
    assert ">English</button>" in chinese
    other_browser = await sign_in("line@etp.org")  # remembered on the account, not in one browser
    assert ">退出<" in await (await other_browser.client.get("/staff/statistics")).text()
    colleague = await sign_in("desk@etp.org")
    assert ">Sign out<" in await (await colleague.client.get("/staff/")).text()
    away = await line.post("/staff/language", lang="en", next="https://evil.example/")
    assert away.headers["Location"] == "/staff/"
    assert ">Sign out<" in await (await line.client.get("/staff/")).text()
    assert (await line.client.post("/staff/language", data={"lang": "zh"})).status == 403  # no CSRF token

    stranger = await console()
    assert ">Sign in<" in await (await stranger.client.get("/staff/login")).text()
    asked = await stranger.client.get("/staff/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert ">登录<" in await asked.text()
    chosen = await stranger.client.get("/staff/language?lang=zh", allow_redirects=False)
    assert chosen.status == 303 and chosen.headers["Location"] == "/staff/login"
    assert ">登录<" in await (await stranger.client.get("/staff/login")).text()
