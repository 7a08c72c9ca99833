"""Two-factor sign-in in headless Chromium (Playwright) against a real server on a loopback
port: the QR code on the enrolment page is read back from a screenshot of it (zxing-cpp, as a
phone's camera would) and the codes are computed with pyotp, as an authenticator app does."""
import contextlib
import io
import os
import shutil
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
from aiohttp import web

from bot import staff
from bot.app import create_app
from tests.bot.staff.test_browser import CHROMIUM_ARGS
from tests.casekit import PASSWORD, add_staff, totp_code
from tests.conftest import require


@contextlib.asynccontextmanager
async def browser_on_console(config):
    """(base URL, a Playwright browser) on a server running the console."""
    chromium = os.environ.get("ETP_TEST_CHROMIUM") or shutil.which("chromium")
    require(bool(chromium), "chromium is not installed (browser test)")
    from playwright.async_api import async_playwright

    runner = web.AppRunner(create_app(config, plugins=(staff.setup,)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                yield f"http://127.0.0.1:{runner.addresses[0][1]}", browser
            finally:
                await browser.close()
    finally:
        await runner.cleanup()


async def sign_in(page, base: str, email: str, password: str) -> None:
    await page.goto(base + "/staff/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("main button[type=submit]")


async def give_code(page, code: str) -> None:
    await page.fill("input[name=code]", code)
    await page.click("main button[type=submit]")


async def scan_qr(page, email: str) -> str:
    """The secret of the enrolment page's QR code, read from what the browser shows."""
    import zxingcpp
    from PIL import Image

    shot = await page.locator("#totp-qr svg").screenshot()
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    uri = urlparse(found.text)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    query = parse_qs(uri.query)
    assert query["issuer"] == ["ETP staff console"]
    assert unquote(uri.path) == "/ETP staff console:" + email
    return query["secret"][0]


def not_a_code_of(secret: str) -> str:
    """Six digits that are no code of the secret around now."""
    from datetime import UTC, datetime, timedelta

    totp, now = pyotp.TOTP(secret), datetime.now(UTC)
    good = {totp.at(now + timedelta(seconds=30 * k)) for k in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in good)


async def test_enrol_from_the_qr_code_sign_in_with_a_code_and_change_the_password(config, runtime) -> None:
    await add_staff(runtime, "line@etp.org", "helpline", enrolled=False)  # as `etp-bot staff add` makes it
    async with browser_on_console(config) as (base, browser):
        page = await browser.new_page()
        await sign_in(page, base, "line@etp.org", PASSWORD)
        assert page.url == base + "/staff/login/enrol"
        secret = await scan_qr(page, "line@etp.org")
        assert (await page.inner_text("#totp-secret")).replace(" ", "") == secret
        assert await page.locator("header a").count() == 0  # no way into the console yet
        await page.goto(base + "/staff/")
        assert page.url == base + "/staff/login/enrol"

        await give_code(page, not_a_code_of(secret))
        assert "not right" in await page.inner_text("[role=alert]")
        assert page.url == base + "/staff/login/enrol"
        await give_code(page, pyotp.TOTP(secret).now())
        assert page.url == base + "/staff/"
        assert await page.is_visible("text=Helpline cases")

        await page.click("text=Password")
        await page.fill("input[name=current]", PASSWORD)
        await page.fill("input[name=new]", "plum tractor sings")
        await page.click("main button[type=submit]")
        assert "has been changed" in await page.inner_text("[role=status]")
        await page.click("text=Sign out")

        await sign_in(page, base, "line@etp.org", "plum tractor sings")
        assert page.url == base + "/staff/login/code"
        await give_code(page, not_a_code_of(secret))
        assert "not right" in await page.inner_text("[role=alert]")
        await give_code(page, await totp_code(runtime, "line@etp.org", real_time=True))  # a step not used yet
        assert page.url == base + "/staff/"
        assert await page.is_visible("text=Helpline cases")


async def test_admin_changes_a_role_and_resets_an_account_that_enrols_again(config, runtime) -> None:
    await add_staff(runtime, "admin@etp.org", "admin")
    await add_staff(runtime, "line@etp.org", "helpline")
    async with browser_on_console(config) as (base, browser):
        admin = await browser.new_page()
        await sign_in(admin, base, "admin@etp.org", PASSWORD)
        await give_code(admin, await totp_code(runtime, "admin@etp.org", real_time=True))
        assert admin.url == base + "/staff/admin"
        row = admin.locator("tr", has_text="line@etp.org")
        await row.locator("select[name=role]").select_option("integrity")
        await row.locator("text=Change role").click()
        await admin.locator("tr", has_text="line@etp.org").locator("text=Reset…").click()
        assert "grant it access" in await admin.inner_text("main")
        await admin.click("main button:has-text('Reset line@etp.org')")
        temporary = await admin.inner_text("#temporary-password")
        await admin.click("text=Access log")
        log = await admin.inner_text("main")
        assert "role helpline to integrity" in log and "reset password and 2FA" in log

        member = await (await browser.new_context()).new_page()
        await sign_in(member, base, "line@etp.org", PASSWORD)
        assert "Wrong email or password" in await member.inner_text("[role=alert]")
        await sign_in(member, base, "line@etp.org", temporary)
        assert member.url == base + "/staff/login/password"
        await member.fill("input[name=new]", "1234567890")
        await member.click("main button[type=submit]")
        assert "too easy to guess" in await member.inner_text("[role=alert]")
        await member.fill("input[name=new]", "violet kettle marches")
        await member.click("main button[type=submit]")
        assert member.url == base + "/staff/login/enrol"
        secret = await scan_qr(member, "line@etp.org")
        await give_code(member, pyotp.TOTP(secret).now())
        assert member.url == base + "/staff/"
        assert await member.is_visible("text=Integrity cases")

        await admin.goto(base + "/staff/admin")
        row = await admin.locator("tr", has_text="line@etp.org").inner_text()
        assert "integrity" in row and "set up" in row and "never" not in row
