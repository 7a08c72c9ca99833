"""The second factor over HTTP, one rule at a time: the half-signed-in session reaches nothing
but its step, a code is good once, codes count towards the lockout, enrolment, drift, and the
secret is never stored or logged in clear."""
import asyncio
import logging
import re
from datetime import timedelta

import pyotp
from sqlalchemy import select, text

from bot.core.models.cases import StaffUser
from tests.casekit import PASSWORD, add_staff, console, file_helpline_report, totp_code  # noqa: F401 - fixture


async def _user(runtime, email: str) -> StaffUser:
    async with runtime.db.session() as s:
        return (await s.execute(select(StaffUser).where(StaffUser.email == email))).scalar_one()


async def _secret(runtime, email: str) -> str:
    return runtime.services.secrets.decrypt((await _user(runtime, email)).totp_secret_enc)


async def test_the_half_signed_in_session_opens_nothing_but_the_code_page(console, accounts, chat) -> None:
    ref = await file_helpline_report(chat, "they took our passports")
    full = await console()
    assert (await full.login("line@etp.org")).status == 303
    case_id = await full.case_id(ref)

    half = await console()
    first = await half.login("line@etp.org", code=False)
    assert first.status == 303 and first.headers["Location"] == "/staff/login/code"
    for path in ["/staff/", "/staff/?status=all", f"/staff/cases/{case_id}", "/staff/statistics", "/staff/password",
                 "/staff/admin", "/staff/login/enrol", "/staff/login/password"]:
        answer = await half.client.get(path, allow_redirects=False)
        assert (answer.status, answer.headers.get("Location")) == (303, "/staff/login/code"), path
    token = await half.csrf("/staff/login/code")
    reply = await half.client.post(f"/staff/cases/{case_id}/reply", data={"body": "half", "csrf": token},
                                   allow_redirects=False)
    assert reply.status == 403
    assert "half" not in await (await full.client.get(f"/staff/cases/{case_id}")).text()
    assert "they took our passports" not in await (await half.client.get("/staff/login/code")).text()
    # the code page is for that step only: a signed-in session is sent to the console
    assert (await full.client.get("/staff/login/code", allow_redirects=False)).headers["Location"] == "/staff/"


async def test_the_half_signed_in_session_ends_after_ten_minutes(console, accounts, clock) -> None:
    half = await console()
    await half.login("line@etp.org", code=False)
    clock.advance(timedelta(minutes=10, seconds=1))
    assert (await half.client.get("/staff/login/code", allow_redirects=False)).headers["Location"] == "/staff/login"


async def test_a_code_is_accepted_once(console, accounts, runtime) -> None:
    secret = await _secret(runtime, "line@etp.org")
    code = pyotp.TOTP(secret).at(runtime.services.clock())
    first = await console()
    await first.login("line@etp.org", code=False)
    assert (await first.give_code("line@etp.org", code)).headers["Location"] == "/staff/"
    again = await console()
    await again.login("line@etp.org", code=False)
    replayed = await again.give_code("line@etp.org", code)
    assert replayed.status == 401 and "already used" in await replayed.text()
    assert (await again.client.get("/staff/", allow_redirects=False)).headers["Location"] == "/staff/login/code"
    # the next step's code (a phone a little ahead) is still good
    later = pyotp.TOTP(secret).at(runtime.services.clock() + timedelta(seconds=30))
    assert (await again.give_code("line@etp.org", later)).headers["Location"] == "/staff/"


async def test_the_same_code_sent_at_once_from_five_browsers_signs_in_one(console, accounts, runtime) -> None:
    code = pyotp.TOTP(await _secret(runtime, "line@etp.org")).at(runtime.services.clock())
    browsers = [await console() for _ in range(5)]
    for b in browsers:
        await b.login("line@etp.org", code=False)
    tokens = [await b.csrf("/staff/login/code") for b in browsers]
    answers = await asyncio.gather(*(b.client.post("/staff/login/code", data={"code": code, "csrf": t},
                                                   allow_redirects=False) for b, t in zip(browsers, tokens, strict=True)))
    assert sorted(a.status for a in answers) == [303, 401, 401, 401, 401]


async def test_a_phone_clock_one_step_off_is_accepted_two_steps_off_is_not(console, accounts, runtime) -> None:
    totp, at = pyotp.TOTP(await _secret(runtime, "line@etp.org")), runtime.services.clock()
    browser = await console()
    await browser.login("line@etp.org", code=False)
    for far in (-60, 60, 3600):
        assert (await browser.give_code("line@etp.org", totp.at(at + timedelta(seconds=far)))).status == 401
    assert (await browser.give_code("line@etp.org", totp.at(at - timedelta(seconds=30)))).status == 303


async def test_wrong_codes_count_towards_the_lockout_with_wrong_passwords(console, accounts, runtime, clock) -> None:
    for _ in range(2):
        assert (await (await console()).login("line@etp.org", "not the password")).status == 401
    browser = await console()
    await browser.login("line@etp.org", code=False)  # the right password neither counts nor resets the count
    assert (await _user(runtime, "line@etp.org")).failed_logins == 2
    for _ in range(2):
        wrong = await browser.give_code("line@etp.org", "000000")
        assert wrong.status == 401 and "not right" in await wrong.text()
    locked = await browser.give_code("line@etp.org", "000000")  # the fifth failure
    assert locked.status == 401 and "locked" in await locked.text() and 'name="password"' in await locked.text()
    assert (await browser.client.get("/staff/login/code", allow_redirects=False)).headers["Location"] == "/staff/login"
    assert (await (await console()).login("line@etp.org")).status == 401  # right password, locked account
    clock.advance(timedelta(minutes=16))
    assert (await (await console()).login("line@etp.org")).headers["Location"] == "/staff/"
    assert (await _user(runtime, "line@etp.org")).failed_logins == 0  # a whole sign-in resets the count


async def test_four_failures_then_the_right_password_and_code_still_sign_in(console, accounts, runtime) -> None:
    for _ in range(4):
        assert (await (await console()).login("line@etp.org", "not the password")).status == 401
    browser = await console()
    assert (await browser.login("line@etp.org", code=False)).headers["Location"] == "/staff/login/code"
    user = await _user(runtime, "line@etp.org")
    assert (user.failed_logins, user.locked_until) == (4, None)  # the right password took no attempt
    assert (await browser.give_code("line@etp.org")).headers["Location"] == "/staff/"
    assert (await _user(runtime, "line@etp.org")).failed_logins == 0


async def test_twenty_parallel_wrong_codes_lock_the_account_after_five(console, accounts, runtime) -> None:
    browsers = [await console() for _ in range(20)]
    for b in browsers:
        assert (await b.login("line@etp.org", code=False)).status == 303
    tokens = [await b.csrf("/staff/login/code") for b in browsers]
    answers = await asyncio.gather(*(b.client.post("/staff/login/code", data={"code": f"{i:06d}", "csrf": t})
                                     for i, (b, t) in enumerate(zip(browsers, tokens, strict=True))))
    assert [a.status for a in answers] == [401] * 20
    user = await _user(runtime, "line@etp.org")
    assert user.failed_logins == 5 and user.locked_until is not None
    assert (await (await console()).login("line@etp.org")).status == 401


async def test_a_new_account_enrols_with_the_qr_code_and_one_code(console, accounts, runtime, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    await add_staff(runtime, "new@etp.org", "integrity", enrolled=False)
    browser = await console()
    first = await browser.login("new@etp.org")
    assert first.headers["Location"] == "/staff/login/enrol"
    assert (await browser.client.get("/staff/", allow_redirects=False)).headers["Location"] == "/staff/login/enrol"
    page = await (await browser.client.get("/staff/login/enrol")).text()
    shown = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert "<svg" in page and "<script" not in page and len(shown) == 32
    assert shown in re.sub(r"\s", "", await (await browser.client.get("/staff/login/enrol")).text())  # a reload: same key
    async with runtime.db.session() as s:
        stored = (await s.execute(text("SELECT totp_secret_enc FROM staff_users WHERE email = 'new@etp.org'"))).scalar()
    assert shown not in stored and runtime.services.secrets.decrypt(stored) == shown

    token = await browser.csrf("/staff/login/enrol")
    wrong = await browser.client.post("/staff/login/enrol", data={"code": "000000", "csrf": token}, allow_redirects=False)
    assert wrong.status == 401 and "not right" in await wrong.text() and shown in re.sub(r"\s", "", await wrong.text())
    code = pyotp.TOTP(shown).at(runtime.services.clock())
    done = await browser.client.post("/staff/login/enrol", data={"code": f"{code[:3]} {code[3:]}", "csrf": token},
                                     allow_redirects=False)
    assert done.headers["Location"] == "/staff/"
    assert (await browser.client.get("/staff/", allow_redirects=False)).status == 200
    assert (await browser.client.get("/staff/login/enrol", allow_redirects=False)).headers["Location"] == "/staff/"
    user = await _user(runtime, "new@etp.org")
    assert user.totp_enrolled_at is not None and user.last_login_at is not None
    # next time: the code page, and the enrolment's code is not good a second time
    again = await console()
    assert (await again.login("new@etp.org", code=False)).headers["Location"] == "/staff/login/code"
    assert (await again.give_code("new@etp.org", code)).status == 401
    assert (await again.give_code("new@etp.org")).headers["Location"] == "/staff/"
    assert shown not in caplog.text and code not in caplog.text


async def test_a_password_change_keeps_the_second_factor(console, accounts) -> None:
    browser = await console()
    await browser.login("desk@etp.org")
    assert (await browser.post("/staff/password", current=PASSWORD, new="plum tractor sings")).status == 200
    fresh = await console()
    assert (await fresh.login("desk@etp.org", "plum tractor sings", code=False)).headers["Location"] == "/staff/login/code"
    assert (await fresh.give_code("desk@etp.org")).headers["Location"] == "/staff/"


async def test_enrolled_in_another_browser_meanwhile_the_other_asks_for_a_code(console, accounts, runtime) -> None:
    await add_staff(runtime, "new@etp.org", "helpline", enrolled=False)
    phone, laptop = await console(), await console()
    for browser in (phone, laptop):
        assert (await browser.login("new@etp.org")).headers["Location"] == "/staff/login/enrol"
    token = await phone.csrf("/staff/login/enrol")
    code = pyotp.TOTP(await _secret(runtime, "new@etp.org")).at(runtime.services.clock())
    await phone.client.post("/staff/login/enrol", data={"code": code, "csrf": token})
    moved = await laptop.client.get("/staff/login/enrol", allow_redirects=False)
    assert moved.headers["Location"] == "/staff/login/code"
    assert (await laptop.give_code("new@etp.org")).headers["Location"] == "/staff/"
