"""The console in headless Chromium (Playwright) against a real server on a loopback port:
sign in, read a report, reply, close the case."""
import os
import shutil

from aiohttp import web
from sqlalchemy import select

from bot import staff
from bot.app import create_app
from bot.core.models import OutboxMessage
from tests.casekit import PASSWORD, add_staff, cases_in_db, file_helpline_report, totp_code
from tests.conftest import ChatDriver, require

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


async def test_sign_in_reply_and_close_in_a_browser(config, runtime) -> None:
    chromium = os.environ.get("ETP_TEST_CHROMIUM") or shutil.which("chromium")
    require(bool(chromium), "chromium is not installed (browser test)")
    from playwright.async_api import async_playwright

    await add_staff(runtime, "line@etp.org", "helpline")
    ref = await file_helpline_report(ChatDriver(runtime, contact="browser-reporter"), "Unpaid overtime <b>since May</b>")

    runner = web.AppRunner(create_app(config, plugins=(staff.setup,)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(f"http://127.0.0.1:{port}/staff/")
            assert page.url.endswith("/staff/login")
            await page.fill("input[name=email]", "line@etp.org")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.fill("input[name=code]", await totp_code(runtime, "line@etp.org", real_time=True))
            await page.click("main button[type=submit]")
            (case,) = await cases_in_db(runtime)
            number = f"H-{case.id}"
            assert ref not in await page.content()  # staff never see the receipt
            await page.click(f"text={number}")
            assert await page.text_content("#case-number") == number
            assert ref not in await page.content()
            assert "Unpaid overtime <b>since May</b>" in await page.inner_text(".msg.reporter .body")
            await page.fill("textarea[name=body] >> nth=0", "We are looking into it.")
            await page.click("text=Send reply")
            assert "We are looking into it." in await page.inner_text(".msg.staff .body")
            await page.click("text=Close case")
            assert await page.text_content("#status") == "closed"
            assert await page.is_visible("text=Reopen")
            await browser.close()
    finally:
        await runner.cleanup()
    async with runtime.db.session() as s:
        (row,) = (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "staff_reply"))).scalars()
    (reply,) = runtime.services.secrets.decrypt_json(row.body_enc)
    assert "We are looking into it." in reply["text"]
