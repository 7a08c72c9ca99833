"""The admin's Accounts page: change a role, reset an account (temporary password shown once,
then a new password and a new second factor), last sign-in, each action in the access log;
and never a case's content."""
import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from bot.core.models.cases import StaffUser
from tests.casekit import PASSWORD, console, file_helpline_report  # noqa: F401 - fixture
from tests.conftest import ChatDriver


async def _admin(console):
    browser = await console()
    assert (await browser.login("admin@etp.org")).headers["Location"] == "/staff/admin"
    return browser


async def _id_of(runtime, email: str) -> int:
    async with runtime.db.session() as s:
        return (await s.execute(select(StaffUser.id).where(StaffUser.email == email))).scalar_one()


async def test_admin_changes_a_role_and_the_queue_follows(console, accounts, runtime) -> None:
    helpline_ref = await file_helpline_report(ChatDriver(runtime, contact="w1"), "no pay for May")
    line = await console()
    await line.login("line@etp.org")
    case_id = await line.case_id(helpline_ref)
    admin = await _admin(console)
    line_id = await _id_of(runtime, "line@etp.org")
    page = await (await admin.client.get("/staff/admin")).text()
    assert f'action="/staff/admin/accounts/{line_id}/role"' in page
    assert (await admin.post(f"/staff/admin/accounts/{line_id}/role", role="integrity")).status == 303
    assert (await line.client.get(f"/staff/cases/{case_id}")).status == 404  # from the next page on
    assert "Integrity cases" in await (await line.client.get("/staff/")).text()

    assert (await admin.post(f"/staff/admin/accounts/{line_id}/role", role="root")).status == 400
    own = await _id_of(runtime, "admin@etp.org")
    assert (await admin.post(f"/staff/admin/accounts/{own}/role", role="helpdesk")).status == 404
    assert (await line.post(f"/staff/admin/accounts/{line_id}/role", role="admin")).status == 404
    async with runtime.db.session() as s:
        roles = dict((await s.execute(select(StaffUser.email, StaffUser.role))).all())
    assert roles["line@etp.org"] == "integrity" and roles["admin@etp.org"] == "admin"
    log = await (await admin.client.get("/staff/admin/access")).text()
    assert log.count("role helpline to integrity") == 1 and "account line@etp.org" in log
    assert "no pay for May" not in log and helpline_ref not in log


async def test_admin_resets_an_account_the_member_chooses_a_password_and_enrols_again(console, accounts, runtime,
                                                                                       chat) -> None:
    ref = await file_helpline_report(chat, "the supervisor hits us")
    member = await console()
    await member.login("line@etp.org")
    admin = await _admin(console)
    line_id = await _id_of(runtime, "line@etp.org")
    confirm = await (await admin.client.get(f"/staff/admin/accounts/{line_id}/reset")).text()
    assert "grant it access" in confirm and 'type="submit">Reset line@etp.org' in confirm
    assert (await member.client.get("/staff/", allow_redirects=False)).status == 200  # nothing happened yet

    done = await admin.post(f"/staff/admin/accounts/{line_id}/reset")
    html = await done.text()
    temporary = re.search(r'<code id="temporary-password">([^<]+)</code>', html).group(1)
    assert done.status == 200 and len(temporary) == 23 and "shown only here" in html
    assert temporary not in await (await admin.client.get("/staff/admin")).text()  # shown once
    assert "the supervisor hits us" not in html and ref not in html
    assert (await member.client.get("/staff/", allow_redirects=False)).status == 303  # the sessions ended
    assert (await (await console()).login("line@etp.org", PASSWORD)).status == 401  # the old password is gone

    browser = await console()
    first = await browser.login("line@etp.org", temporary)
    assert first.headers["Location"] == "/staff/login/password"
    assert (await browser.client.get("/staff/", allow_redirects=False)).headers["Location"] == "/staff/login/password"
    token = await browser.csrf("/staff/login/password")
    weak = await browser.client.post("/staff/login/password", data={"new": "1234567890", "csrf": token})
    assert weak.status == 400 and "too easy to guess" in await weak.text()
    same = await browser.client.post("/staff/login/password", data={"new": temporary, "csrf": token})
    assert same.status == 400 and "not the temporary one" in await same.text()
    chosen = await browser.client.post("/staff/login/password", data={"new": "violet kettle marches", "csrf": token},
                                       allow_redirects=False)
    assert chosen.headers["Location"] == "/staff/login/enrol"
    page = await (await browser.client.get("/staff/login/enrol")).text()
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    code = pyotp.TOTP(secret).at(runtime.services.clock())
    enrolled = await browser.client.post("/staff/login/enrol", data={"code": code, "csrf": token}, allow_redirects=False)
    assert enrolled.headers["Location"] == "/staff/"
    assert (await browser.client.get("/staff/", allow_redirects=False)).status == 200

    assert (await (await console()).login("line@etp.org", temporary)).status == 401  # good once
    again = await console()
    assert (await again.login("line@etp.org", "violet kettle marches")).headers["Location"] == "/staff/"
    accounts_page = await (await admin.client.get("/staff/admin")).text()
    assert "temporary password until" not in accounts_page and "not yet" not in accounts_page
    log = await (await admin.client.get("/staff/admin/access")).text()
    assert log.count("reset password and 2FA") == 1


async def test_a_temporary_password_expires_after_three_days(console, accounts, runtime, clock) -> None:
    admin = await _admin(console)
    desk_id = await _id_of(runtime, "desk@etp.org")
    html = await (await admin.post(f"/staff/admin/accounts/{desk_id}/reset")).text()
    temporary = re.search(r'<code id="temporary-password">([^<]+)</code>', html).group(1)
    page = await (await admin.client.get("/staff/admin")).text()
    assert "temporary password until" in page and "not yet (set up at the next sign-in)" in page
    clock.advance(timedelta(days=3, minutes=1))
    late = await (await console()).login("desk@etp.org", temporary)
    assert late.status == 401 and "temporary password has expired" in await late.text()


async def test_every_admin_action_is_in_the_access_log_with_last_sign_in_shown(console, accounts, runtime) -> None:
    admin = await _admin(console)
    await admin.post("/staff/admin/accounts", email="temp@etp.org", role="helpdesk", password="long enough pass")
    temp_id = await _id_of(runtime, "temp@etp.org")
    for action in ("disable", "enable", "unlock"):
        assert (await admin.post(f"/staff/admin/accounts/{temp_id}/{action}")).status == 303
    log = await (await admin.client.get("/staff/admin/access")).text()
    for action in ("account created (helpdesk)", "disable", "enable", "unlock"):
        assert re.search(r"account temp@etp\.org</td><td>" + re.escape(action) + "<", log), action
    page = await (await admin.client.get("/staff/admin")).text()
    row = page[page.index("<td>temp@etp.org"):]
    assert "never" in row[:row.index("</tr>")]
    admin_row = page[page.index("<td>admin@etp.org"):]
    assert "2026-03-02 11:00" in admin_row[:admin_row.index("</tr>")]  # signed in just now (Hong Kong time)
