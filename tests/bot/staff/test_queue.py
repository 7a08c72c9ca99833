"""The queue says what needs action now: age and response target (late in red), a marker when
the reporter wrote again since staff answered, mine / unassigned / all, assignment to a named
colleague of the same queue, search by case number, the small JSON the page polls."""
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.config import Config, parse_response_targets
from bot.services.targets import LATE, ON_TIME, Target, target_for, timing
from tests.casekit import add_staff, file_helpline_report
from tests.conftest import ChatDriver

HK = ZoneInfo("Asia/Hong_Kong")


def _row(html: str, number: str) -> str:
    start = html.index(f'data-case="{number}"')
    return html[start:html.index("</tr>", start)]


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def test_a_working_day_skips_the_weekend_and_urgent_cases_get_an_hour() -> None:
    friday_5pm = datetime(2026, 3, 6, 17, 0, tzinfo=HK)
    assert Target(1, "d").due(friday_5pm, HK) == datetime(2026, 3, 9, 17, 0, tzinfo=HK)  # Monday
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=HK)
    assert Target(1, "d").due(saturday, HK) == datetime(2026, 3, 10, 0, 0, tzinfo=HK)  # the end of Monday
    assert Target(2, "d").due(datetime(2026, 3, 4, 9, 0, tzinfo=HK), HK) == datetime(2026, 3, 6, 9, 0, tzinfo=HK)
    defaults = Config().response_targets
    assert target_for(defaults, "helpline", urgent=True) == Target(1, "h")
    assert target_for(defaults, "integrity", urgent=False) == Target(1, "d")
    mine = parse_response_targets("helpline.urgent=30min,integrity=4h")
    assert target_for(mine, "helpline", urgent=True) == Target(30, "min")
    assert target_for(mine, "integrity", urgent=True) == Target(1, "h")  # the general urgent target
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert timing(mine, "integrity", False, start, start + timedelta(hours=2), HK).state == ON_TIME
    assert timing(mine, "integrity", False, start, start + timedelta(hours=4), HK).state == LATE
    problems = Config.problems({"ETP_RESPONSE_TARGETS": "helpline=soon"})
    assert len(problems) == 1 and problems[0].startswith("ETP_RESPONSE_TARGETS: expected pairs such as")


async def test_ages_targets_and_late_cases(sign_in, runtime, clock) -> None:
    normal = await file_helpline_report(ChatDriver(runtime, contact="a"), "no payslip this month")
    urgent = await file_helpline_report(ChatDriver(runtime, contact="b"), "he will beat me tonight", category="safety")
    line = await sign_in("line@etp.org")
    normal_n, urgent_n = await line.case_number(normal), await line.case_number(urgent)
    html = await (await line.client.get("/staff/")).text()
    assert "on time" in _row(html, urgent_n) and "due in 1 h" in _text(_row(html, urgent_n))
    assert "<title>(2) Helpline cases" in html and "2 waiting" in html

    clock.advance(timedelta(hours=3))
    line = await sign_in("line@etp.org")  # sessions end after 30 idle minutes
    html = await (await line.client.get("/staff/")).text()
    urgent_row, normal_row = _row(html, urgent_n), _row(html, normal_n)
    assert 'class="case-row late"' in urgent_row and "LATE" in urgent_row
    assert "3 h" in _text(urgent_row) and "late by 2 h" in _text(urgent_row)
    assert 'class="case-row ok"' in normal_row and "due in 21 h" in _text(normal_row)
    clock.advance(timedelta(hours=19))  # 22 h: three quarters of the working day have gone
    line = await sign_in("line@etp.org")
    assert "due soon" in _row(await (await line.client.get("/staff/")).text(), normal_n)
    clock.advance(timedelta(hours=3))
    line = await sign_in("line@etp.org")
    html = await (await line.client.get("/staff/")).text()
    assert "LATE" in _row(html, normal_n) and "25 h" in _text(_row(html, normal_n))

    await line.reply(await line.case_id(normal), "We are on it.")
    answered = _row(await (await line.client.get("/staff/")).text(), normal_n)
    assert "LATE" not in answered and "not waiting for staff" in answered
    assert "<title>(1) Helpline cases" in await (await line.client.get("/staff/")).text()


async def test_targets_come_from_the_settings(console, runtime, clock, accounts) -> None:
    runtime.config = replace(runtime.config, response_targets=parse_response_targets("helpline=2h"))
    ref = await file_helpline_report(ChatDriver(runtime, contact="a"), "dormitory is cold")
    browser = await console()
    await browser.login("line@etp.org")
    clock.advance(timedelta(hours=2, minutes=5))
    browser = await console()
    await browser.login("line@etp.org")
    row = _row(await (await browser.client.get("/staff/")).text(), await browser.case_number(ref))
    assert "LATE" in row and "late by 5 min" in _text(row)


async def test_a_follow_up_after_staff_answered_is_marked_new(sign_in, runtime, clock) -> None:
    reporter = ChatDriver(runtime, contact="wx-1")
    ref = await file_helpline_report(reporter, "wages are late")
    line = await sign_in("line@etp.org")
    number, case_id = await line.case_number(ref), await line.case_id(ref)
    assert "new" not in _text(_row(await (await line.client.get("/staff/")).text(), number)).split()
    await line.reply(case_id, "Which month?")
    clock.advance(timedelta(minutes=25))
    await reporter.send(ref)
    await reporter.send("March and April")
    await reporter.send("also May")
    row = _row(await (await line.client.get("/staff/")).text(), number)
    assert '<span class="badge new"' in row and "2 new" in row and "25 min" not in _text(row)
    clock.advance(timedelta(minutes=10))
    row = _row(await (await line.client.get("/staff/")).text(), number)
    assert "10 min" in _text(row)  # waiting since the reporter wrote again
    await line.reply(case_id, "Thank you, we will call the factory.")
    assert "badge new" not in _row(await (await line.client.get("/staff/?status=all")).text(), number)


async def test_mine_unassigned_and_assigning_to_a_named_colleague(sign_in, runtime) -> None:
    await add_staff(runtime, "line2@etp.org", "helpline")
    refs = [await file_helpline_report(ChatDriver(runtime, contact=f"w{i}"), f"case {i}") for i in range(3)]
    line, line2 = await sign_in("line@etp.org"), await sign_in("line2@etp.org")
    ids = [await line.case_id(r) for r in refs]
    numbers = [f">{await line.case_number(r)}<" for r in refs]
    assert (await line.post(f"/staff/cases/{ids[0]}/assign")).status == 303  # to me
    case_page = await (await line.client.get(f"/staff/cases/{ids[1]}")).text()
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', case_page.split('id="assign-to"')[1])
    assert [email for _, email in options] == ["line2@etp.org", "line@etp.org"]  # the helpline team only
    line2_id = next(i for i, email in options if email == "line2@etp.org")
    assert (await line.post(f"/staff/cases/{ids[1]}/assign", to=line2_id)).status == 303

    mine = await (await line.client.get("/staff/?who=mine")).text()
    theirs = await (await line2.client.get("/staff/?who=mine")).text()
    unassigned = await (await line.client.get("/staff/?who=unassigned")).text()
    everyone = await (await line.client.get("/staff/?who=all")).text()
    assert [n in mine for n in numbers] == [True, False, False]
    assert [n in theirs for n in numbers] == [False, True, False]
    assert [n in unassigned for n in numbers] == [False, False, True]
    assert all(n in everyone for n in numbers)
    assert "line2@etp.org" in _row(everyone, numbers[1][1:-1])
    assert 'id="assigned">line2@etp.org<' in await (await line2.client.get(f"/staff/cases/{ids[1]}")).text()

    desk_id = re.search(r"desk@etp.org", case_page)
    assert desk_id is None  # another queue's staff are not offered
    async with runtime.db.session() as s:
        from sqlalchemy import select

        from bot.core.models.cases import StaffUser

        desk = (await s.execute(select(StaffUser).where(StaffUser.email == "desk@etp.org"))).scalar_one()
    assert (await line.post(f"/staff/cases/{ids[2]}/assign", to=str(desk.id))).status == 400
    assert (await line.post(f"/staff/cases/{ids[2]}/assign", to="99999999999")).status == 400
    assert (await line.post(f"/staff/cases/{ids[0]}/assign", to="none")).status == 303
    assert numbers[0] in await (await line.client.get("/staff/?who=unassigned")).text()
    admin = await sign_in("admin@etp.org")
    log = await (await admin.client.get("/staff/admin/access")).text()
    assert log.count(">assign</td>") == 2 and log.count(">unassign</td>") == 1


async def test_search_by_case_number(sign_in, runtime) -> None:
    refs = [await file_helpline_report(ChatDriver(runtime, contact=f"w{i}"), f"case {i}") for i in range(2)]
    desk_chat = ChatDriver(runtime, contact="manager")
    await desk_chat.send("/human When is our audit?")
    await desk_chat.choose("human:send")
    line = await sign_in("line@etp.org")
    first, second = [await line.case_number(r) for r in refs]
    await line.post(f"/staff/cases/{await line.case_id(refs[0])}/close")
    for typed in (first, first.lower(), first.replace("-", ""), first.split("-")[1], f" {first} "):
        html = await (await line.client.get("/staff/", params={"q": typed})).text()
        assert f">{first}<" in html and f">{second}<" not in html, typed  # found though closed
    desk_number = "D-" + str(int(second.split("-")[1]) + 1)
    for typed in (desk_number, "H-" + desk_number.split("-")[1], "I-1", "H-99999", "nonsense", "H-" + "9" * 30):
        html = await (await line.client.get("/staff/", params={"q": typed})).text()
        assert 'id="no-cases"' in html and "case-row" not in html, typed


async def test_the_polled_json_counts_and_changes_with_the_queue(sign_in, runtime, clock) -> None:
    await file_helpline_report(ChatDriver(runtime, contact="a"), "Supervisor Li keeps our ID cards")
    line = await sign_in("line@etp.org")
    first = await (await line.client.get("/staff/queue.json")).json()
    assert first["waiting"] == 1 and first["total"] == 1
    page = await (await line.client.get("/staff/")).text()
    assert f'data-stamp="{first["stamp"]}"' in page and 'data-poll="/staff/queue.json?status=open' in page
    assert (await (await line.client.get("/staff/queue.json")).json())["stamp"] == first["stamp"]
    await file_helpline_report(ChatDriver(runtime, contact="b"), "hours too long")
    second = await (await line.client.get("/staff/queue.json")).json()
    assert second["waiting"] == 2 and second["stamp"] != first["stamp"]
    clock.advance(timedelta(minutes=20))  # ages move on: the list is re-read
    assert (await (await line.client.get("/staff/queue.json")).json())["stamp"] != second["stamp"]
    raw = await (await line.client.get("/staff/queue.json")).text()
    assert "Li" not in raw and "ID cards" not in raw
    admin = await sign_in("admin@etp.org")
    assert (await admin.client.get("/staff/queue.json", allow_redirects=False)).status == 303


async def test_a_reply_is_confirmed_once_and_a_note_never_asks(sign_in, runtime) -> None:
    reporter = ChatDriver(runtime, contact="wx-zh")
    await reporter.send("/lang zh")
    ref = await file_helpline_report(reporter, "工资没有发")
    line = await sign_in("line@etp.org")
    case_id = await line.case_id(ref)
    page = await (await line.client.get(f"/staff/cases/{case_id}")).text()
    assert 'class="lang-of-reporter" lang="zh">中文<' in page and "Write your reply in Chinese" in page

    asked = await line.post(f"/staff/cases/{case_id}/reply", body="我们会联系工厂。")
    html = await asked.text()
    assert asked.status == 200 and "Send this reply to the reporter of" in html and "我们会联系工厂。" in html
    assert "我们会联系工厂。" not in _text((await (await line.client.get(f"/staff/cases/{case_id}")).text())
                                     .split("<h2>Conversation</h2>")[1].split('id="composer"')[0])
    edit = await line.post(f"/staff/cases/{case_id}/reply", body="我们会联系工厂。", confirm="edit")
    assert edit.status == 200 and ">我们会联系工厂。</textarea>" in await edit.text()
    sent = await line.post(f"/staff/cases/{case_id}/reply", body="我们会联系工厂。", confirm="yes")
    assert sent.status == 303
    assert (await line.post(f"/staff/cases/{case_id}/note", body="Called HR")).status == 303  # no confirmation
    page = await (await line.client.get(f"/staff/cases/{case_id}")).text()
    history = _text(page.split("<h2>Conversation</h2>")[1].split('id="composer"')[0])
    assert re.search(r"Reporter · \d{4}-\d\d-\d\d \d\d:\d\d 工资没有发", history)
    assert re.search(r"Reply by line@etp.org · [\d: -]+ · pending.*我们会联系工厂。", history)
    assert re.search(r"Note by line@etp.org · [\d: -]+ · internal, never sent Called HR", history)
