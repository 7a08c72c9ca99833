"""The anonymous two-way relay end to end, through the faked WeChat and Telegram servers with the
real client libraries: a worker reports on WeChat (safe mode), a helpline staff member answers in
the console over HTTP, the answer reaches the worker through WeChat's customer-service API, the
worker continues the case from a Telegram account with the reference, the next answer goes to
Telegram; the console never shows a chat identifier. Also the WeChat 48-hour window, the staff
alert of an integrity report on Telegram, and the metrics of all this."""
from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient

from bot.core.models import utcnow
from bot.services.contacts import find_contact
from tests.casekit import PASSWORD, add_staff, reference_in, totp_code
from tests.fakes import telegram as tg
from tests.fakes.fixtures import TELEGRAM_SECRET

from .conftest import runtime_of

OPENID = "oRelayWorker00000000000042"
TG_CHAT = 5550987654
ALERT_CHAT = "-1009988776655"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch):
    from argon2 import PasswordHasher

    from bot.staff import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def numbered(text: str, label: str) -> str:
    """The number a WeChat user types for the choice `label` (choices come as numbered lines)."""
    found = re.search(r"^(\d+)\. " + re.escape(label) + "$", text, re.M)
    assert found, f"no choice {label!r} in {text!r}"
    return found.group(1)


class WeChatWorker:
    """A worker on WeChat: what the bot answers, passively or through customer service."""

    def __init__(self, user, fake) -> None:
        self.user, self.fake = user, fake
        self.last = ""

    async def say(self, text: str) -> str:
        seen = len(self.fake.sent_texts(self.user.openid))
        passive = await self.user.say(text) or ""
        await asyncio.sleep(0.1)  # replies beyond the passive one go out through customer service
        self.last = "\n".join([passive, *self.fake.sent_texts(self.user.openid)[seen:]])
        return self.last

    async def choose(self, label: str) -> str:
        return await self.say(numbered(self.last, label))


async def file_report_on_wechat(worker: WeChatWorker, text: str) -> str:
    await worker.say("/helpline")
    await worker.choose("Wages and overtime")
    await worker.say(text)
    await worker.choose("Done")
    await worker.choose("Message me here")
    await worker.choose("Send")
    return reference_in(worker.last)


class StaffBrowser:
    """A staff member's browser on the console of the running server."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @classmethod
    @contextlib.asynccontextmanager
    async def signed_in(cls, server_client: TestClient, email: str) -> AsyncIterator["StaffBrowser"]:
        """Signs in through the form, with the CSRF token the form carries."""
        client = TestClient(server_client.server, cookie_jar=CookieJar(unsafe=True))
        await client.start_server()
        try:
            form = await (await client.get("/staff/login")).text()
            response = await client.post("/staff/login", allow_redirects=False, data={
                "email": email, "password": PASSWORD, "csrf": _CSRF.search(form).group(1)})
            assert response.headers["Location"] == "/staff/login/code"
            form = await (await client.get("/staff/login/code")).text()
            response = await client.post("/staff/login/code", allow_redirects=False, data={
                "code": await totp_code(runtime_of(server_client), email), "csrf": _CSRF.search(form).group(1)})
            assert response.headers["Location"] in ("/staff/", "/staff/admin")  # an admin has no queue
            yield cls(client)
        finally:
            await client.close()

    async def page(self, path: str) -> str:
        response = await self.client.get(path)
        assert response.status == 200
        return await response.text()

    async def case_id(self, ref: str) -> int:
        """The case of the receipt `ref`, found in the list by its case number (staff never see the receipt)."""
        html = await self.page("/staff/?status=all")
        assert ref not in html
        number = await case_number_of(self.client, ref)
        found = re.search(r'href="/staff/cases/(\d+)">' + re.escape(number) + "<", html)
        assert found, f"{number} not in the case list"
        return int(found.group(1))

    async def reply(self, case_id: int, body: str) -> None:
        html = await self.page(f"/staff/cases/{case_id}")
        response = await self.client.post(f"/staff/cases/{case_id}/reply", allow_redirects=False,
                                          data={"body": body, "csrf": _CSRF.search(html).group(1)})
        assert response.status == 303


async def case_number_of(client, ref: str) -> str:
    from bot.services import cases

    runtime = runtime_of(client)
    async with runtime.db.session() as s:
        case = await cases.find_case(s, runtime.services.secrets, ref)
    assert case is not None
    return cases.case_number(case)


async def tg_post(client, update: dict) -> None:
    assert (await client.post("/telegram", json=update, headers=HEADERS)).status == 200


async def wait_until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await condition():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.05)


async def test_report_on_wechat_answered_in_the_console_continued_on_telegram(
        channels_config, serve, wechat_user, fake_wechat, fake_telegram) -> None:
    async with serve(channels_config) as client:
        await add_staff(runtime_of(client), "line@etp.org", "helpline")
        worker = WeChatWorker(wechat_user(client, OPENID), fake_wechat)
        ref = await file_report_on_wechat(worker, "Our wages for October were not paid")
        async with StaffBrowser.signed_in(client, "line@etp.org") as staff:
            case_id = await staff.case_id(ref)
            assert "Our wages for October were not paid" in await staff.page(f"/staff/cases/{case_id}")

            await staff.reply(case_id, "We called the factory. Were you paid since?")
            await wait_until(lambda: _has(fake_wechat.sent_texts(OPENID), "We called the factory"))
            (delivered,) = [t for t in fake_wechat.sent_texts(OPENID) if "We called the factory" in t]
            assert ref in delivered
            assert 'class="delivery delivery-sent"' in await staff.page(f"/staff/cases/{case_id}")

            # the worker continues from a Telegram account, with the reference
            await tg_post(client, tg.text_update(ref.lower().replace("-", " "), chat_id=TG_CHAT))
            await fake_telegram.wait_for("sendMessage", 1)
            await tg_post(client, tg.text_update("Not yet, only half of it", chat_id=TG_CHAT))
            await wait_until(lambda: _page_has(staff, case_id, "Not yet, only half of it"))
            wechat_before = len(fake_wechat.sent_texts(OPENID))
            await staff.reply(case_id, "We will visit the factory on Friday.")
            await wait_until(lambda: _has([m["text"] for m in fake_telegram.messages_to(TG_CHAT)], "visit the factory"))
            assert len(fake_wechat.sent_texts(OPENID)) == wechat_before  # the reply follows the account that wrote last

            pages = [await staff.page("/staff/?status=all"), await staff.page(f"/staff/cases/{case_id}"),
                     await staff.page("/staff/statistics")]
            for html in pages:
                for identifier in (OPENID, str(TG_CHAT), f"user{TG_CHAT}"):
                    assert identifier not in html


async def _has(texts: list[str], part: str) -> bool:
    return any(part in t for t in texts)


async def _page_has(staff: StaffBrowser, case_id: int, part: str) -> bool:
    return part in await staff.page(f"/staff/cases/{case_id}")


async def _backdate_last_message(client, openid: str, hours: int) -> None:
    runtime = runtime_of(client)
    async with runtime.db.session() as s:
        contact = await find_contact(s, runtime.services.secrets, "wechat", openid)
        contact.last_inbound_at = utcnow() - timedelta(hours=hours)


async def test_a_reply_after_the_48_hour_window_is_held_then_delivered_when_the_worker_writes(
        channels_config, serve, wechat_user, fake_wechat) -> None:
    async with serve(channels_config) as client:
        await add_staff(runtime_of(client), "line@etp.org", "helpline")
        worker = WeChatWorker(wechat_user(client, OPENID), fake_wechat)
        ref = await file_report_on_wechat(worker, "The dormitory has no hot water")
        await _backdate_last_message(client, OPENID, hours=49)  # two days of silence
        async with StaffBrowser.signed_in(client, "line@etp.org") as staff:
            case_id = await staff.case_id(ref)
            await staff.reply(case_id, "Which building do you live in?")
            await wait_until(lambda: _page_has(staff, case_id, 'class="delivery delivery-held"'))
            page = await staff.page(f"/staff/cases/{case_id}")
            assert "48 hours" in page and "delivered when the reporter writes again" in page
            assert not await _has(fake_wechat.sent_texts(OPENID), "Which building")

            await worker.say("Building 3")
            await wait_until(lambda: _has(fake_wechat.sent_texts(OPENID), "Which building"))
            await wait_until(lambda: _page_has(staff, case_id, 'class="delivery delivery-sent"'))


async def test_the_staff_alert_of_an_integrity_report_carries_the_case_number_and_queue_only(
        channels_config, serve, fake_telegram, fake_wechat) -> None:
    reporter = 5550111222
    what = "The auditor asked for 8000 RMB to pass the audit"
    async with serve(replace(channels_config, staff_alert_telegram_chat=ALERT_CHAT)) as client:
        for update in [tg.text_update("/report", chat_id=reporter), tg.callback_update("report:cat:bribery", chat_id=reporter),
                       tg.text_update(what, chat_id=reporter),
                       tg.text_update("Mr Wang of the audit firm", chat_id=reporter),
                       tg.callback_update("report:skip", chat_id=reporter),
                       tg.callback_update("report:skip", chat_id=reporter),
                       tg.callback_update("report:skip", chat_id=reporter),
                       tg.callback_update("report:notify:message", chat_id=reporter),
                       tg.callback_update("report:send", chat_id=reporter)]:
            await tg_post(client, update)
        await wait_until(lambda: _sent_to(fake_telegram, ALERT_CHAT))
        await asyncio.sleep(0.2)
        to_reporter = [m["text"] for m in fake_telegram.messages_to(reporter)]
        ref = reference_in(next(t for t in to_reporter if "reference is" in t))
        (alert,) = fake_telegram.messages_to(ALERT_CHAT)
        assert alert["text"] == f"New integrity case {await case_number_of(client, ref)}"
        assert ref not in alert["text"] and ref.replace("-", "") not in alert["text"]
        others = [c.params for c in fake_telegram.calls + fake_wechat.calls
                  if str(c.params.get("chat_id")) != str(reporter)]
        assert others, "the alert is among the recorded calls"
        for params in others:
            for secret in (what, "Mr Wang", str(reporter), f"user{reporter}"):
                assert secret not in str(params)


async def _sent_to(fake, chat: str) -> bool:
    return bool(fake.messages_to(chat))


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    found = re.search(rf"^{re.escape(name)}{{{re.escape(wanted)}}} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_metrics_follow_a_report_a_handoff_and_staff_replies(
        channels_config, serve, wechat_user, fake_wechat) -> None:
    from tests.fakes.wechat import CS_SEND

    async with serve(channels_config) as client:
        async def scrape() -> str:
            return await (await client.get("/metrics")).text()

        await add_staff(runtime_of(client), "line@etp.org", "helpline")
        before = await scrape()
        worker = WeChatWorker(wechat_user(client, OPENID), fake_wechat)
        ref = await file_report_on_wechat(worker, "We work 80 hours a week")
        other = WeChatWorker(wechat_user(client, "oRelayOther000000000000077"), fake_wechat)
        await file_report_on_wechat(other, "No contract")
        manager = WeChatWorker(wechat_user(client, "oRelayManager0000000000088"), fake_wechat)
        await manager.say("/human When is our audit visit?")
        await manager.choose("Send")
        after_reports = await scrape()
        opened = metric(after_reports, "etp_cases_opened_total", queue="helpline")
        assert opened - metric(before, "etp_cases_opened_total", queue="helpline") == 2
        assert metric(after_reports, "etp_handoffs_total", reason="human") - metric(
            before, "etp_handoffs_total", reason="human") == 1
        assert metric(after_reports, "etp_cases_waiting", queue="helpline") == 2
        assert metric(after_reports, "etp_cases_waiting", queue="helpdesk") == 1

        async with StaffBrowser.signed_in(client, "line@etp.org") as staff:
            out_before = metric(after_reports, "etp_messages_out_total", channel="wechat", via="outbox")
            await staff.reply(await staff.case_id(ref), "We will check the time records.")
            await wait_until(lambda: _has(fake_wechat.sent_texts(OPENID), "check the time records"))
            await asyncio.sleep(0.1)
            answered = await scrape()
            assert metric(answered, "etp_messages_out_total", channel="wechat", via="outbox") == out_before + 1
            assert metric(answered, "etp_cases_waiting", queue="helpline") == 1

            failures = metric(answered, "etp_delivery_failures_total", channel="wechat", outcome="undeliverable")
            fake_wechat.error(CS_SEND, 43004)  # the worker unsubscribed
            await staff.reply(await staff.case_id(ref), "Are you still there?")
            await wait_until(lambda: _failed_metric(scrape, failures))


async def _failed_metric(scrape, before: float) -> bool:
    return metric(await scrape(), "etp_delivery_failures_total", channel="wechat", outcome="undeliverable") == before + 1
