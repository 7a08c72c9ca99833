"""Evidence kept, end to end through the faked platforms with the real client libraries: a worker
sends a photo carrying GPS EXIF in a helpline report on WeChat (safe mode) and on Telegram (and a
PDF pay slip on Telegram); the bot fetches each from the platform (WeChat `media/get` with its
access token, Telegram `getFile` and the file download) through the outbox; the platforms then
delete their copies; a helpline officer still sees the photos on the case page, with the EXIF
gone, served only to the queue's role and never cached."""
from __future__ import annotations

import io
import re

import aiohttp
from PIL import Image
from sqlalchemy import select

from bot.core.models.evidence import KEPT, CaseEvidence
from tests.bot.services.test_evidence import PDF, assert_no_metadata, photo
from tests.casekit import add_staff, reference_in
from tests.fakes import telegram as tg
from tests.fakes.wechat import MEDIA_GET

from .conftest import runtime_of
from .test_relay import StaffBrowser, WeChatWorker, cheap_kdf, metric, tg_post, wait_until  # noqa: F401

OPENID = "oEvidenceWorker0000000000042"
TG_CHAT = 5550777111
IMG = re.compile(r'<img src="(/staff/cases/\d+/evidence/\d+)"')
DOWNLOAD = re.compile(r'<a class="evidence-item evidence-kept" href="(/staff/cases/\d+/evidence/\d+)">Document')


async def kept(client, count: int) -> bool:
    runtime = runtime_of(client)
    async with runtime.db.session() as s:
        rows = (await s.execute(select(CaseEvidence))).scalars().all()
    return sum(r.status == KEPT for r in rows) >= count


async def file_on_wechat_with_photo(worker: WeChatWorker, media_id: str) -> str:
    await worker.say("/helpline")
    await worker.choose("Wages and overtime")
    await worker.say("This is my pay slip, the overtime is missing")
    passive = await worker.user.deliver(worker.user.platform.image(worker.user.openid, media_id))
    assert passive is not None
    worker.last = passive
    await worker.choose("Done")
    await worker.choose("Message me here")
    await worker.choose("Send")
    return reference_in(worker.last)


async def get(staff: StaffBrowser, path: str):
    return await staff.client.get(path, allow_redirects=False)


async def test_a_wechat_photo_is_kept_without_exif_after_wechat_deleted_it(
        channels_config, serve, wechat_user, fake_wechat) -> None:
    original = photo()
    fake_wechat.add_media("MEDIA_PAYSLIP_1", original)
    async with serve(channels_config) as client:
        runtime = runtime_of(client)
        await add_staff(runtime, "line@etp.org", "helpline")
        await add_staff(runtime, "integrity@etp.org", "integrity")
        await add_staff(runtime, "admin@etp.org", "admin")
        ref = await file_on_wechat_with_photo(WeChatWorker(wechat_user(client, OPENID), fake_wechat), "MEDIA_PAYSLIP_1")
        await wait_until(lambda: kept(client, 1))
        (call,) = fake_wechat.calls_to(MEDIA_GET)
        assert call["media_id"] == "MEDIA_PAYSLIP_1" and call["access_token"] in fake_wechat.valid_tokens
        fake_wechat.expire_media()  # three days later WeChat has deleted its copy

        # (a browser's client shares the server and closes it when done: every browser at once)
        async with StaffBrowser.signed_in(client, "line@etp.org") as staff, \
                StaffBrowser.signed_in(client, "integrity@etp.org") as integrity, \
                StaffBrowser.signed_in(client, "admin@etp.org") as admin:
            case_id = await staff.case_id(ref)
            html = await staff.page(f"/staff/cases/{case_id}")
            (url,) = IMG.findall(html)
            response = await get(staff, url)
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/jpeg"
            assert response.headers["Cache-Control"] == "no-store"
            image = assert_no_metadata(await response.read())
            assert image.size == Image.open(io.BytesIO(original)).size
            assert len(fake_wechat.calls_to(MEDIA_GET)) == 1  # served from the case, not from WeChat

            for other in (integrity, admin):  # not their queue: not found
                assert (await get(other, url)).status == 404
            async with aiohttp.ClientSession() as outsider:  # no session cookie
                signed_out = await outsider.get(client.make_url(url), allow_redirects=False)
                assert signed_out.status == 303 and signed_out.headers["Location"] == "/staff/login"


async def test_a_telegram_photo_and_pdf_are_kept_after_telegram_lost_them(
        channels_config, serve, fake_telegram) -> None:
    original = photo("JPEG", size=(80, 60))
    fake_telegram.add_file("TG_PHOTO_1", original)
    fake_telegram.add_file("TG_PDF_1", PDF)
    async with serve(channels_config) as client:
        await add_staff(runtime_of(client), "line@etp.org", "helpline")
        for update in [tg.text_update("/helpline", chat_id=TG_CHAT), tg.callback_update("helpline:cat:wages", chat_id=TG_CHAT),
                       tg.text_update("Overtime not paid, photo and pay slip attached", chat_id=TG_CHAT),
                       tg.media_update("photo", chat_id=TG_CHAT, file_id="TG_PHOTO_1"),
                       tg.media_update("document", chat_id=TG_CHAT, file_id="TG_PDF_1"),
                       tg.callback_update("helpline:done", chat_id=TG_CHAT),
                       tg.callback_update("helpline:notify:message", chat_id=TG_CHAT),
                       tg.callback_update("helpline:send", chat_id=TG_CHAT)]:
            await tg_post(client, update)
        await wait_until(lambda: kept(client, 2))
        # the confirmation goes through the outbox too: it may reach Telegram after the files
        async def confirmed() -> bool:
            return any("reference is" in m["text"] for m in fake_telegram.messages_to(TG_CHAT))

        await wait_until(confirmed)
        assert {c["file_id"] for c in fake_telegram.calls_to("getFile")} == {"TG_PHOTO_1", "TG_PDF_1"}
        assert len(fake_telegram.calls_to("download")) == 2
        texts = [m["text"] for m in fake_telegram.messages_to(TG_CHAT)]
        ref = reference_in(next(t for t in texts if "reference is" in t))
        fake_telegram.expire_file()

        async with StaffBrowser.signed_in(client, "line@etp.org") as staff:
            case_id = await staff.case_id(ref)
            html = await staff.page(f"/staff/cases/{case_id}")
            (image_url,) = IMG.findall(html)
            (pdf_url,) = DOWNLOAD.findall(html)
            image = await get(staff, image_url)
            assert image.status == 200 and image.headers["Cache-Control"] == "no-store"
            assert Image.open(io.BytesIO(await image.read())).size == (80, 60)
            assert_no_metadata(await image.read())
            pdf = await get(staff, pdf_url)
            assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
            assert pdf.headers["Content-Disposition"].startswith("attachment;")
            assert "sandbox" in pdf.headers["Content-Security-Policy"]
            assert await pdf.read() == PDF


async def test_a_photo_whose_platform_copy_expired_before_the_fetch_is_shown_as_gone(
        channels_config, serve, wechat_user, fake_wechat) -> None:
    async with serve(channels_config) as client:
        async def scrape() -> str:
            return await (await client.get("/metrics")).text()

        await add_staff(runtime_of(client), "line@etp.org", "helpline")
        before = await scrape()
        ref = await file_on_wechat_with_photo(WeChatWorker(wechat_user(client, OPENID), fake_wechat), "MEDIA_EXPIRED")
        await fake_wechat.wait_for(MEDIA_GET)
        async with StaffBrowser.signed_in(client, "line@etp.org") as staff:
            case_id = await staff.case_id(ref)

            async def shown_gone() -> bool:
                return "the platform no longer has it" in await staff.page(f"/staff/cases/{case_id}")

            await wait_until(shown_gone)
            assert not IMG.findall(await staff.page(f"/staff/cases/{case_id}"))
            after = await scrape()
        assert len(fake_wechat.calls_to(MEDIA_GET)) == 1  # WeChat said it is gone: not asked again
        for name, labels in [("etp_evidence_total", {"channel": "wechat", "outcome": "gone"}),
                             ("etp_delivery_failures_total", {"channel": "wechat-media", "outcome": "undeliverable"})]:
            assert metric(after, name, **labels) - metric(before, name, **labels) == 1
