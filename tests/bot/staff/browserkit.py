"""Headless Chromium (Playwright, Debian's chromium) on the console served on a loopback port,
sharing the test's runtime and clock; the two widths every page is checked at; screenshots."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from tests.casekit import PASSWORD, console_app, totp_code
from tests.conftest import require

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PHONE, DESKTOP = (390, 844), (1366, 900)
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


def chromium() -> str:
    path = os.environ.get("ETP_TEST_CHROMIUM") or shutil.which("chromium")
    require(bool(path), "chromium is not installed (browser test)")
    return path


def screenshot_dir() -> Path:
    """Where screenshots go: $ETP_TEST_SCREENSHOTS, else a new temporary folder."""
    chosen = os.environ.get("ETP_TEST_SCREENSHOTS")
    path = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="etp-console-shots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.asynccontextmanager
async def served(runtime) -> AsyncIterator[str]:
    """The console on 127.0.0.1 (a free port); yields the base URL."""
    runner = web.AppRunner(console_app(runtime))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def browser():
    from playwright.async_api import async_playwright

    path = chromium()
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def signed_in_page(chrome, runtime, base: str, email: str, size: tuple[int, int], locale: str = "en-GB"):
    """A new browser window signed in as `email`: password, then the code of the account's app."""
    context = await chrome.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    page = await context.new_page()
    await page.goto(f"{base}/staff/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/staff/login'] button[type=submit]")
    await page.wait_for_load_state()
    if page.url.endswith("/staff/login/code"):
        await page.fill("input[name=code]", await totp_code(runtime, email))
        await page.click("form[action='/staff/login/code'] button[type=submit]")
        await page.wait_for_load_state()
    return page


async def overflow(page) -> tuple[int, int]:
    """(scrollWidth of the document, innerWidth of the window)."""
    return tuple(await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))


async def assert_fits(page, what: str) -> None:
    scroll, inner = await overflow(page)
    assert scroll <= inner, f"{what}: the page is {scroll} px wide in a {inner} px window"
