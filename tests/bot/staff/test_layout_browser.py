"""Every signed-in page, as each role, in headless Chromium at a phone's width (390 px) and at a
desktop's (1366 px): no horizontal scroll (the document is no wider than the window), the
signed-in email readable and Sign out in reach on the phone, the navigation behind "Menu" there.
Screenshots of every page are saved (ETP_TEST_SCREENSHOTS, else a temporary folder)."""
import re
from datetime import timedelta

from bot.core.models.canned import CannedReply
from bot.core.models.insights import UnansweredQuestion
from tests.bot.staff.browserkit import WIDTHS, assert_fits, browser, screenshot_dir, served, signed_in_page
from tests.bot.staff.conftest import ACCOUNTS
from tests.casekit import file_helpline_report
from tests.conftest import ChatDriver
from tests.factories_support import import_rows

LONG_WORD = "Overtime" * 30  # one unbroken word far wider than a phone


async def _busy_console(runtime, clock) -> None:
    """Cases in every queue over several weeks, long texts, a factory, an unanswered question."""
    for week in range(4):
        for i in range(2):
            await file_helpline_report(ChatDriver(runtime, contact=f"w{week}-{i}"),
                                       f"Week {week}: {LONG_WORD} not paid", category=("wages", "hours")[i])
        clock.advance(timedelta(days=7))
    await file_helpline_report(ChatDriver(runtime, contact="urgent"), "he will beat me tonight", category="safety")
    integrity = ChatDriver(runtime, contact="i1")
    await integrity.send("/report")
    await integrity.choose("report:cat:bribery")
    await integrity.send("An auditor asked for money " + LONG_WORD)
    for _ in range(4):
        await integrity.choose("report:skip")  # who, when, where, evidence
    await integrity.choose("report:notify:message")
    await integrity.choose("report:send")
    desk = ChatDriver(runtime, contact="manager")
    await desk.send("/human When is our audit? " + LONG_WORD)
    await desk.choose("human:send")
    await import_rows(runtime.db, "C1,Sunny Toys Ltd " + LONG_WORD + ",certified,2025-06-10,阳光玩具有限公司,2026-06-10,0,0,0")
    async with runtime.db.session() as s:
        for queue, lang in (("helpline", "en"), ("helpline", "zh"), ("integrity", "en"), ("helpdesk", "en")):
            s.add(CannedReply(queue=queue, lang=lang, title="A long canned title " + "Overtime" * 12,
                              body=f"Canned text {LONG_WORD}", updated_at=clock.now))
        s.add(UnansweredQuestion(text_enc=runtime.services.secrets.encrypt("How? " + LONG_WORD), lang="en",
                                 confidence=0.3, best_topic=None, ambiguous=False, created_at=clock.now))


async def _pages_of(page, base: str) -> list[str]:
    """The role's navigation, then a case page and a factory page found from it."""
    hrefs = await page.eval_on_selector_all("nav.nav a", "links => links.map(a => a.getAttribute('href'))")
    found = list(hrefs)
    for href in hrefs:
        await page.goto(base + href)
        html = await page.content()
        for pattern in (r'href="(/staff/cases/\d+)"', r'href="(/staff/factories/\d+)"'):
            match = re.search(pattern, html)
            if match and match.group(1) not in found:
                found.append(match.group(1))
    return found


async def test_every_page_of_every_role_fits_a_phone_and_a_desktop(runtime, clock, accounts) -> None:
    await _busy_console(runtime, clock)
    shots = screenshot_dir()
    async with served(runtime) as base, browser() as chrome:
        # English at both widths; Chinese (the browser asks for it) on the phone, where wrapping is tightest
        for size_name, locale in (("phone", "en-GB"), ("desktop", "en-GB"), ("phone", "zh-CN")):
            size = WIDTHS[size_name]
            if locale != "en-GB":
                size_name += "-zh"
            login = await (await chrome.new_context(viewport={"width": size[0], "height": size[1]},
                                                    locale=locale)).new_page()
            await login.goto(f"{base}/staff/login")
            await assert_fits(login, f"sign-in at {size_name}")
            await login.screenshot(path=str(shots / f"{size_name}-login.png"), full_page=True)
            for email, role in ACCOUNTS:
                page = await signed_in_page(chrome, runtime, base, email, size, locale=locale)
                assert await page.get_attribute("html", "lang") == ("zh-Hans" if locale == "zh-CN" else "en")
                paths = await _pages_of(page, base)
                assert len(paths) >= 3, paths
                if role != "admin":
                    assert any(p.startswith("/staff/cases/") for p in paths), f"{role} has no case to open"
                for path in paths:
                    await page.goto(base + path)
                    what = f"{path} as {role} at {size_name}"
                    await assert_fits(page, what)
                    email_box = await page.locator(".who .email").bounding_box()
                    signout = await page.locator("button.signout").bounding_box()
                    assert await page.locator(".who .email").inner_text() == email
                    for box in (email_box, signout):
                        assert box and box["x"] >= 0 and box["x"] + box["width"] <= size[0], what
                    colour, background = await page.evaluate(
                        "[getComputedStyle(document.querySelector('.who .email')).color,"
                        " getComputedStyle(document.querySelector('header.top')).backgroundColor]")
                    assert colour != background, f"{what}: the email is {colour} on {background}"
                    if path == "/staff/statistics":  # charts and totals, the tables folded: not 6,000 px
                        height = await page.evaluate("document.documentElement.scrollHeight")
                        assert height < 4500, f"{what}: {height} px tall"
                    name = re.sub(r"\W+", "-", path.strip("/")) or "home"
                    await page.screenshot(path=str(shots / f"{size_name}-{role}-{name}.png"), full_page=True)
                if size == WIDTHS["phone"]:  # the navigation is folded behind "Menu" and opens on a tap
                    first = page.locator("nav.nav a").first
                    assert not await first.is_visible()
                    await page.click("label.menu-button")
                    assert await first.is_visible()
                    await assert_fits(page, f"open menu as {role}")
                else:
                    assert await page.locator("nav.nav a").first.is_visible()
                    assert not await page.locator("label.menu-button").is_visible()
                await page.context.close()
    print(f"screenshots in {shots}")
