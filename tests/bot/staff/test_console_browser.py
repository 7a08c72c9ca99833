"""A day's work in headless Chromium, at a phone's width and a desktop's, in English and in
Chinese (switched in the console, as staff do): an admin adds a canned
reply; a helpline officer watches the queue refresh itself (the tab title counts the cases
waiting), opens a case, puts the canned reply into the reply box, confirms and sends it, writes an
internal note on its own tab, reassigns the case to a colleague, and exports the statistics; the
admin exports the access log. What reached the reporter is checked in the outbox."""
import csv
import io

import pytest
from sqlalchemy import select

from bot.core.models import OutboxMessage
from tests.bot.staff.browserkit import WIDTHS, assert_fits, browser, served, signed_in_page
from tests.casekit import add_staff, file_helpline_report
from tests.conftest import ChatDriver

CANNED = "Please keep a copy of every payslip. We will call you back."


async def _download(page, selector: str) -> str:
    async with page.expect_download() as info:
        await page.click(selector)
    download = await info.value
    return open(await download.path(), encoding="utf-8-sig").read()


async def _in(page, lang: str) -> None:
    """Switch the console to `lang` with the button in the top bar (a phone shows it too)."""
    if lang != "en":
        await page.click(f"button.lang-button[value={lang}]")
        await page.wait_for_selector("html[lang=zh-Hans]")


@pytest.mark.parametrize("size_name,lang", [("phone", "zh"), ("desktop", "en"), ("phone", "en"), ("desktop", "zh")])
async def test_reply_note_canned_reply_reassignment_and_exports(size_name, lang, runtime, accounts,
                                                                monkeypatch) -> None:
    from bot.staff import queue
    from bot.staff.i18n import gettext_for

    monkeypatch.setattr(queue, "POLL_SECONDS", 0.5)
    size, _ = WIDTHS[size_name], gettext_for(lang)
    await add_staff(runtime, "line2@etp.org", "helpline")
    ref = await file_helpline_report(ChatDriver(runtime, contact="wx-reporter"), "No overtime pay since May")
    async with served(runtime) as base, browser() as chrome:
        admin = await signed_in_page(chrome, runtime, base, "admin@etp.org", size)
        await _in(admin, lang)
        await admin.goto(f"{base}/staff/admin/canned")
        await admin.select_option("select[name=queue]", "helpline")
        await admin.select_option("select[name=lang]", "en")
        await admin.fill("input[name=title]", "Payslips")
        await admin.fill("#canned-body", CANNED)
        await admin.click("#canned-editor button[type=submit]")
        assert await admin.locator(".canned-row").count() == 1
        await assert_fits(admin, "canned replies")

        line = await signed_in_page(chrome, runtime, base, "line@etp.org", size)
        await _in(line, lang)
        assert (await line.title()).startswith("(1) " + _("Helpline cases"))
        await file_helpline_report(ChatDriver(runtime, contact="wx-second"), "Dormitory door is locked at night")
        await line.wait_for_function("() => document.title.startsWith('(2)')", timeout=10_000)
        await line.wait_for_function("() => document.querySelectorAll('tr.case-row').length == 2", timeout=10_000)
        await assert_fits(line, "refreshed queue")

        number = await (await line.query_selector("xpath=//a[contains(@href, '/staff/cases/')]")).inner_text()
        await line.click(f"text={number}")
        assert await line.inner_text(".lang-of-reporter >> nth=0") == "English"
        await line.select_option("#canned-pick", label="Payslips")
        assert await line.input_value("#reply-body") == CANNED
        await line.fill("#reply-body", CANNED + " Helpline team")
        await line.click("#send-reply")  # not yet confirmed: the browser asks for the tick
        assert await line.locator(".msg.staff").count() == 0
        await line.check("#reply-form input[name=confirm]")
        await line.click("#send-reply")
        await line.wait_for_selector(".msg.staff")
        assert _("Reply by %(who)s", who="line@etp.org") in await line.inner_text(".msg.staff .meta")
        assert CANNED + " Helpline team" in await line.inner_text(".msg.staff .body")

        assert not await line.is_visible("#note-body")  # the note is on its own tab
        await line.click("label.tab-note")
        await line.fill("#note-body", "Called the factory's HR")
        await line.click("#note-form button[type=submit]")
        assert _("Note by %(who)s", who="line@etp.org") in await line.inner_text(".msg.note .meta")
        await assert_fits(line, "case page")

        await line.select_option("#assign-to", label="line2@etp.org")
        await line.click(".assign-form button[type=submit]")
        assert await line.inner_text("#assigned") == "line2@etp.org"

        await line.goto(f"{base}/staff/statistics")
        rows = list(csv.DictReader(io.StringIO(await _download(line, "#stats-export"))))
        assert sum(int(r["opened"]) for r in rows if r["category"] == "all") == 2
        await admin.goto(f"{base}/staff/admin/access")
        log = list(csv.DictReader(io.StringIO(await _download(admin, "#access-export"))))
        assert {r["action"] for r in log} >= {"view", "reply", "note", "assign"}
        assert all(r["subject"] == number for r in log)

    async with runtime.db.session() as s:
        (row,) = (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "staff_reply"))).scalars()
    (sent,) = runtime.services.secrets.decrypt_json(row.body_enc)
    # the receipt is never repeated in a relayed answer
    assert CANNED + " Helpline team" in sent["text"] and "Called the factory" not in sent["text"] and ref not in sent["text"]
