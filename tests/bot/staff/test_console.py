"""The staff console over HTTP: sign-in, sessions, CSRF, lockout, queues by role, the case page,
replies relayed through the outbox, notes never sent, the access log."""
from datetime import timedelta

import pytest

from bot.outbox_worker import OutboxWorker
from bot.services.outbox import Held
from tests.casekit import FakeSender, add_staff, console, file_helpline_report  # noqa: F401 - fixture
from tests.conftest import ChatDriver


@pytest.fixture
async def staff(runtime, monkeypatch):
    from argon2 import PasswordHasher

    from bot.staff import accounts

    # argon2 still, with a small cost: these tests are about sessions and roles, not the KDF
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for email, role in [("line@etp.org", "helpline"), ("integrity@etp.org", "integrity"),
                        ("desk@etp.org", "helpdesk"), ("admin@etp.org", "admin")]:
        await add_staff(runtime, email, role)


async def _signed_in(console, email: str):
    browser = await console()
    response = await browser.login(email)
    assert response.status == 303
    return browser


async def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(console, staff) -> None:
    browser = await console()
    assert (await browser.client.get("/staff/", allow_redirects=False)).headers["Location"] == "/staff/login"
    half = await browser.login("LINE@etp.org", code=False)
    assert half.status == 303 and half.headers["Location"] == "/staff/login/code"
    cookie = half.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("etp_staff="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    response = await browser.give_code("line@etp.org")
    assert response.status == 303 and response.headers["Location"] == "/staff/"
    assert (await browser.client.get("/staff/")).status == 200
    assert (await browser.post("/staff/logout")).status == 303
    assert (await browser.client.get("/staff/", allow_redirects=False)).status == 303


async def test_wrong_password_is_refused(console, staff) -> None:
    browser = await console()
    response = await browser.login("line@etp.org", "not the password")
    assert response.status == 401 and "Wrong email or password" in await response.text()
    assert (await (await console()).login("nobody@etp.org")).status == 401


async def test_a_session_ends_after_thirty_idle_minutes_and_after_twelve_hours_in_any_case(console, staff, clock) -> None:
    browser = await _signed_in(console, "line@etp.org")
    clock.advance(timedelta(minutes=29))
    assert (await browser.client.get("/staff/", allow_redirects=False)).status == 200
    clock.advance(timedelta(minutes=29))  # 58 minutes after sign-in, 29 after the last page: still in
    assert (await browser.client.get("/staff/", allow_redirects=False)).status == 200
    clock.advance(timedelta(minutes=31))
    assert (await browser.client.get("/staff/", allow_redirects=False)).headers["Location"] == "/staff/login"

    busy, start = await _signed_in(console, "line@etp.org"), clock.now
    for _ in range(12 * 3 + 2):  # a page every 20 minutes
        clock.advance(timedelta(minutes=20))
        if (await busy.client.get("/staff/", allow_redirects=False)).status != 200:
            break
    assert clock.now - start == timedelta(hours=12)  # the absolute limit, however busy


async def test_a_member_changes_their_password_with_the_current_one_and_a_csrf_token(console, staff) -> None:
    from tests.casekit import PASSWORD

    browser, other = await _signed_in(console, "desk@etp.org"), await _signed_in(console, "desk@etp.org")
    page = await browser.client.get("/staff/password")
    assert page.status == 200 and 'name="current"' in await page.text()
    forged = await browser.client.post("/staff/password", data={"current": PASSWORD, "new": "plum tractor sings"})
    assert forged.status == 403  # no CSRF token
    wrong = await browser.post("/staff/password", current="not it at all", new="plum tractor sings")
    assert wrong.status == 400 and "current password is wrong" in await wrong.text()
    weak = await browser.post("/staff/password", current=PASSWORD, new="1234567890")
    assert weak.status == 400 and "too easy to guess" in await weak.text()
    done = await browser.post("/staff/password", current=PASSWORD, new="plum tractor sings")
    assert done.status == 200 and "has been changed" in await done.text()
    assert (await browser.client.get("/staff/", allow_redirects=False)).status == 200  # this session stays
    assert (await other.client.get("/staff/", allow_redirects=False)).status == 303  # the others end
    assert (await (await console()).login("desk@etp.org")).status == 401
    assert (await (await console()).login("desk@etp.org", "plum tractor sings")).status == 303


async def test_lockout_after_repeated_failures(console, staff, clock) -> None:
    browser = await console()
    for _ in range(5):
        assert (await browser.login("line@etp.org", "guess")).status == 401
    assert (await browser.login("line@etp.org")).status == 401  # right password, locked account
    clock.advance(timedelta(minutes=16))
    assert (await browser.login("line@etp.org")).status == 303


async def test_lockout_holds_under_twenty_parallel_wrong_passwords(console, staff, runtime) -> None:
    import asyncio

    from sqlalchemy import select

    from bot.core.models.cases import StaffUser

    browsers = [await console() for _ in range(20)]
    answers = await asyncio.gather(*(b.login("line@etp.org", f"guess number {i}") for i, b in enumerate(browsers)))
    assert [a.status for a in answers] == [401] * 20
    assert (await (await console()).login("line@etp.org")).status == 401  # right password, locked account
    async with runtime.db.session() as s:
        user = (await s.execute(select(StaffUser).where(StaffUser.email == "line@etp.org"))).scalar_one()
    assert user.locked_until is not None


async def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(console, staff, chat) -> None:
    ref = await file_helpline_report(chat, "unpaid overtime")
    browser = await _signed_in(console, "line@etp.org")
    case_id = await browser.case_id(ref)
    no_token = await browser.client.post(f"/staff/cases/{case_id}/reply", data={"body": "forged reply"},
                                         allow_redirects=False)
    wrong = await browser.post(f"/staff/cases/{case_id}/reply", body="forged reply", csrf="forged-token")
    other = await _signed_in(console, "desk@etp.org")  # a real token, of another session
    foreign = await browser.post(f"/staff/cases/{case_id}/close", csrf=await other.csrf())
    assert (no_token.status, wrong.status, foreign.status) == (403, 403, 403)
    page = await (await browser.client.get(f"/staff/cases/{case_id}")).text()
    assert "forged reply" not in page and 'id="status">waiting' in page
    login_without_cookie = await (await console()).client.post(
        "/staff/login", data={"email": "line@etp.org", "password": "correct horse battery", "csrf": "x"})
    assert login_without_cookie.status == 403


async def test_each_role_sees_its_own_queue_only(console, staff, runtime) -> None:
    worker = ChatDriver(runtime, contact="worker")
    helpline_ref = await file_helpline_report(worker, "wages")
    await worker.send("talk to staff")
    await worker.send("When is our audit?")
    await worker.choose("human:send")
    desk_ref = worker.text.split("reference is ")[1].split()[0]

    line = await _signed_in(console, "line@etp.org")
    desk = await _signed_in(console, "desk@etp.org")
    integrity = await _signed_in(console, "integrity@etp.org")
    admin = await _signed_in(console, "admin@etp.org")
    helpline_id = await line.case_id(helpline_ref)
    desk_id = await desk.case_id(desk_ref)
    line_list = await (await line.client.get("/staff/?status=all")).text()
    assert await line.case_number(helpline_ref) in line_list and await desk.case_number(desk_ref) not in line_list
    for browser, case_id in [(desk, helpline_id), (integrity, helpline_id), (line, desk_id), (admin, helpline_id)]:
        assert (await browser.client.get(f"/staff/cases/{case_id}")).status == 404
    assert (await desk.reply(helpline_id, "not mine")).status == 404
    assert (await line.client.get("/staff/cases/999999")).status == 404
    assert (await line.client.get("/staff/cases/abc")).status == 404
    assert (await line.client.get("/staff/admin")).status == 404  # accounts are for admins only
    access = await (await admin.client.get("/staff/admin/access")).text()
    assert access.count("denied") == 5  # every attempt on another queue's case is on record


async def test_a_script_in_a_report_is_shown_as_text(console, staff, chat) -> None:
    ref = await file_helpline_report(chat, '<script>alert("x")</script> & <b>bold</b>')
    browser = await _signed_in(console, "line@etp.org")
    html = await (await browser.client.get(f"/staff/cases/{await browser.case_id(ref)}")).text()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>" not in html and "<b>bold" not in html


async def test_the_console_shows_the_case_number_never_the_receipt_or_identity(console, staff, runtime) -> None:
    reporter = ChatDriver(runtime, channel="telegram", contact="5551234567")
    ref = await file_helpline_report(reporter, "they keep our passports")
    browser = await _signed_in(console, "line@etp.org")
    listing = await (await browser.client.get("/staff/")).text()
    page = await (await browser.client.get(f"/staff/cases/{await browser.case_id(ref)}")).text()
    for html in (listing, page):
        assert await browser.case_number(ref) in html and "5551234567" not in html and "telegram" not in html.lower()
        assert ref not in html and ref.replace("-", "") not in html


async def test_list_puts_urgent_first_then_the_longest_waiting_and_filters(console, staff, runtime, clock) -> None:
    old = await file_helpline_report(ChatDriver(runtime, contact="a"), "old wages case", category="wages")
    clock.advance(timedelta(hours=1))
    new = await file_helpline_report(ChatDriver(runtime, contact="b"), "new hours case", category="hours")
    clock.advance(timedelta(hours=1))
    urgent = await file_helpline_report(ChatDriver(runtime, contact="c"), "he will beat me tonight", category="safety")
    browser = await _signed_in(console, "line@etp.org")
    receipt_old = old
    old, new, urgent = [f">{await browser.case_number(r)}<" for r in (old, new, urgent)]
    html = await (await browser.client.get("/staff/")).text()
    assert html.index(urgent) < html.index(old) < html.index(new)
    filtered = await (await browser.client.get("/staff/?category=hours")).text()
    assert new in filtered and old not in filtered
    await browser.post(f"/staff/cases/{await browser.case_id(receipt_old)}/close")
    open_list = await (await browser.client.get("/staff/")).text()
    closed_list = await (await browser.client.get("/staff/?status=closed")).text()
    assert old not in open_list and old in closed_list and new not in closed_list


async def test_round_trip_report_reply_delivery_and_follow_up_from_another_account(console, staff, runtime) -> None:
    reporter = ChatDriver(runtime, contact="wx-openid-reporter")
    ref = await file_helpline_report(reporter, "Our wages for May were not paid")
    browser = await _signed_in(console, "line@etp.org")
    case_id = await browser.case_id(ref)
    page = await (await browser.client.get(f"/staff/cases/{case_id}")).text()
    assert "Our wages for May were not paid" in page

    assert (await browser.reply(case_id, "We have contacted the factory. Were you paid since?")).status == 303
    assert (await browser.post(f"/staff/cases/{case_id}/note", body="Called HR on Monday")).status == 303
    page = await (await browser.client.get(f"/staff/cases/{case_id}")).text()
    assert "pending" in page and "Internal note" in page

    sender = FakeSender()
    worker = OutboxWorker(runtime.db, runtime.services.secrets, {"terminal": sender})
    await worker.deliver_due()
    (delivered,) = sender.texts_to("wx-openid-reporter")
    assert "We have contacted the factory" in delivered and ref in delivered
    assert all("Called HR" not in text for _, replies, _ in sender.sent for text in [r.text for r in replies])
    page = await (await browser.client.get(f"/staff/cases/{case_id}")).text()
    assert 'class="delivery delivery-sent"' in page and "status <strong id=\"status\">answered" in page

    other_phone = ChatDriver(runtime, contact="wx-openid-second")
    await other_phone.send(ref.replace("-", " ").lower())
    assert "staff have answered" in other_phone.text
    await other_phone.send("Yes, paid yesterday. Thank you")
    await browser.reply(case_id, "Glad to hear it. Closing the case.")
    await browser.post(f"/staff/cases/{case_id}/close")
    await worker.deliver_due()
    (second,) = sender.texts_to("wx-openid-second")
    assert "Glad to hear it" in second
    page = await (await browser.client.get(f"/staff/cases/{case_id}")).text()
    assert "Yes, paid yesterday" in page and "closed" in page


async def test_a_reply_to_a_reporter_who_checks_back_waits_for_them(console, staff, runtime) -> None:
    reporter = ChatDriver(runtime, contact="shared-phone")
    ref = await file_helpline_report(reporter, "my manager shouts at me", notify="check_back")
    browser = await _signed_in(console, "line@etp.org")
    case_id = await browser.case_id(ref)
    await browser.reply(case_id, "We can talk by phone any evening.")
    sender = FakeSender()
    await OutboxWorker(runtime.db, runtime.services.secrets, {"terminal": sender}).deliver_due()
    assert sender.sent == []  # nothing arrives unasked
    assert "check back" in await (await browser.client.get(f"/staff/cases/{case_id}")).text()
    checker = ChatDriver(runtime, contact="friend-phone")
    await checker.send(ref.lower())
    assert "We can talk by phone any evening." in checker.text
    page = await (await browser.client.get(f"/staff/cases/{case_id}")).text()
    assert "read by the reporter" in page


async def test_a_reply_held_by_the_wechat_window_says_so_and_is_kept(console, staff, runtime) -> None:
    reporter = ChatDriver(runtime, contact="openid-quiet")
    ref = await file_helpline_report(reporter, "dormitory has no hot water")
    browser = await _signed_in(console, "line@etp.org")
    case_id = await browser.case_id(ref)
    await browser.reply(case_id, "Which building?")
    sender = FakeSender()
    sender.fail_with = [Held("outside the 48-hour window")]
    await OutboxWorker(runtime.db, runtime.services.secrets, {"terminal": sender}).deliver_due()
    page = await (await browser.client.get(f"/staff/cases/{case_id}")).text()
    assert 'class="delivery delivery-held"' in page and "48 hours" in page and "Which building?" in page
    await reporter.send(ref)  # the reporter comes back: the held answer is given in the chat
    assert "Which building?" in reporter.text


async def test_every_view_is_in_the_access_log_admins_read(console, staff, chat) -> None:
    ref = await file_helpline_report(chat, "wages")
    line = await _signed_in(console, "line@etp.org")
    case_id = await line.case_id(ref)
    await line.client.get(f"/staff/cases/{case_id}")
    await line.post(f"/staff/cases/{case_id}/assign")
    admin = await _signed_in(console, "admin@etp.org")
    html = await (await admin.client.get("/staff/admin/access")).text()
    assert html.count("access-row") == 2 and "line@etp.org" in html and await line.case_number(ref) in html
    assert ref not in html and ref.replace("-", "") not in html
    assert "view" in html and "assign" in html
    assert (await line.client.get("/staff/admin/access")).status == 404


async def test_admin_creates_and_unlocks_accounts(console, staff) -> None:
    admin = await _signed_in(console, "admin@etp.org")
    response = await admin.post("/staff/admin/accounts", email="New@etp.org", role="integrity", password="long enough pass")
    assert response.status == 303
    bad = await admin.post("/staff/admin/accounts", email="x@etp.org", role="integrity", password="short")
    assert bad.status == 400 and "at least" in await bad.text()
    common = await admin.post("/staff/admin/accounts", email="y@etp.org", role="integrity", password="1234567890")
    assert common.status == 400 and "too easy to guess" in await common.text()
    assert (await (await console()).login("y@etp.org", "1234567890")).status == 401
    newcomer = await console()
    assert (await newcomer.login("new@etp.org", "long enough pass")).status == 303


async def test_hostile_input_gets_a_4xx_never_a_5xx(console, staff, chat) -> None:
    ref = await file_helpline_report(chat, "wages")
    browser = await _signed_in(console, "line@etp.org")
    case_id = await browser.case_id(ref)
    token = await browser.csrf()
    statuses = [
        (await browser.client.get("/staff/cases/99999999999999999999")).status,
        (await browser.client.get("/staff/cases/-1")).status,
        (await browser.post(f"/staff/cases/{case_id}/explode")).status,
        (await browser.post(f"/staff/cases/{case_id}/reply", body="")).status,
        (await browser.post(f"/staff/cases/{case_id}/reply", body="x" * 5000)).status,
        (await browser.client.post(f"/staff/cases/{case_id}/reply", data=b"\xff\xfe",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})).status,
    ]
    assert statuses == [404, 404, 404, 400, 400, 400]
    stranger = await console()
    stranger.client.session.cookie_jar.update_cookies({"etp_staff": "é" * 50})
    assert (await stranger.client.get("/staff/", allow_redirects=False)).status == 303
    login = await stranger.client.get("/staff/login")
    assert login.status == 200
    garbled = await stranger.client.post("/staff/login", data=b"\xff", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert garbled.status == 400
    for email, password in [("line@etp.org\x00", "x"), ("a" * 5000, "x"), ("line@etp.org", "p" * 100_000)]:
        assert (await stranger.login(email, password)).status == 401
    assert token  # the signed-in session was unaffected
    assert (await browser.client.get(f"/staff/cases/{case_id}")).status == 200


async def test_a_long_queue_is_paged(console, staff, runtime, monkeypatch) -> None:
    from bot.staff import cases_views

    monkeypatch.setattr(cases_views, "PAGE_SIZE", 2)
    refs = [await file_helpline_report(ChatDriver(runtime, contact=f"w{i}"), f"case {i}") for i in range(3)]
    browser = await _signed_in(console, "line@etp.org")
    refs = [f">{await browser.case_number(r)}<" for r in refs]
    first = await (await browser.client.get("/staff/")).text()
    second = await (await browser.client.get("/staff/?status=open&category=&page=2")).text()
    assert "3 cases · page 1 of 2" in first and "page=2" in first
    assert [r in first for r in refs] == [True, True, False] and [r in second for r in refs] == [False, False, True]
    assert (await browser.client.get("/staff/?page=99999999999999")).status == 200
