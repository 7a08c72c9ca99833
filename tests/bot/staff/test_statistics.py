"""The statistics page: cases opened and closed per queue, category and week, and the median time to
the first staff reply per queue and week, purged cases included, no references or identities;
each role its own queue, admins all. And the migration of the counts kept by earlier releases."""
import json
import re
from datetime import timedelta

from sqlalchemy import select

from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.core.models.cases import StaffUser
from bot.services import cases
from bot.services.retention import iso_week, purge
from bot.staff.statistics import duration
from tests.casekit import file_helpline_report
from tests.conftest import ChatDriver

WEEK = timedelta(days=7)


async def _answer(runtime, ref: str, after: timedelta, *, close_after: timedelta | None = None) -> None:
    async with runtime.db.session() as s:
        staff = (await s.execute(select(StaffUser).where(StaffUser.role == "helpline"))).scalar_one()
        case = await cases.find_case(s, runtime.services.secrets, ref)
        await cases.staff_reply(s, runtime.services.secrets, case, staff, "answer", now=case.created_at + after)
        if close_after is not None:
            cases.close(case, case.created_at + close_after)


def _row(html: str, cls: str, week: str, category: str | None = None) -> list[str]:
    """The cells of one table row, found by its week (and category)."""
    marker = f'class="{cls}" data-week="{week}"' + (f' data-category="{category}"' if category else "")
    start = html.index(marker)
    row = html[start:html.index("</tr>", start)]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


async def test_counts_per_week_and_category_and_the_median_first_response(sign_in, runtime, clock) -> None:
    start = clock.now  # Monday 2 March 2026, 11:00 in Hong Kong
    first = await file_helpline_report(ChatDriver(runtime, contact="a"), "unpaid wages", category="wages")
    second = await file_helpline_report(ChatDriver(runtime, contact="b"), "too many hours", category="hours")
    third = await file_helpline_report(ChatDriver(runtime, contact="c"), "no payslip", category="wages")
    await _answer(runtime, first, timedelta(minutes=10))
    await _answer(runtime, second, timedelta(minutes=30), close_after=timedelta(days=8))
    await _answer(runtime, third, timedelta(minutes=50))
    desk_chat = ChatDriver(runtime, contact="manager")
    await desk_chat.send("/human When is our audit?")
    await desk_chat.choose("human:send")
    # the second case is purged: only its counts and its first-response time are left
    clock.now = start + timedelta(days=10)
    assert (await purge(runtime.db, retention_days=1, now=clock.now, timezone="Asia/Hong_Kong")).cases == 1

    line = await sign_in("line@etp.org")
    html = await (await line.client.get("/staff/statistics")).text()
    week_a, week_b = iso_week(start), iso_week(start + WEEK)
    # week, opened, closed, urgent, open at the end, answered, median first response
    assert _row(html, "week-row", week_a) == [week_a, "3", "0", "0", "3", "3", "30 min"]
    assert _row(html, "week-row", week_b) == [week_b, "0", "1", "0", "2", "0", "–"]
    assert _row(html, "category-row", week_a, "wages")[2:] == ["2", "0", "0"]
    assert _row(html, "category-row", week_a, "hours")[2:] == ["1", "0", "0"]
    assert _row(html, "category-row", week_b, "hours")[2:] == ["0", "1", "0"]
    assert 'id="stats-helpdesk"' not in html  # another queue's figures
    for ref in (first, second, third):
        assert ref not in html
    assert 'href="/staff/statistics"' in html

    desk = await sign_in("desk@etp.org")
    desk_html = await (await desk.client.get("/staff/statistics")).text()
    assert 'id="stats-helpline"' not in desk_html and _row(desk_html, "week-row", week_a)[1] == "1"
    admin = await sign_in("admin@etp.org")
    everything = await (await admin.client.get("/staff/statistics?weeks=0")).text()
    assert all(f'id="stats-{q}"' in everything for q in ("helpline", "integrity", "helpdesk"))
    only_helpline = await (await admin.client.get("/staff/statistics?queue=helpline")).text()
    assert 'id="stats-helpdesk"' not in only_helpline and _row(only_helpline, "week-row", week_a)[6] == "30 min"


async def test_the_range_of_weeks_shown(sign_in, runtime, clock) -> None:
    start = clock.now
    await file_helpline_report(ChatDriver(runtime, contact="a"), "an old case")
    clock.now = start + timedelta(weeks=20)
    line = await sign_in("line@etp.org")
    assert iso_week(start) not in await (await line.client.get("/staff/statistics?weeks=13")).text()
    assert iso_week(start) in await (await line.client.get("/staff/statistics?weeks=26")).text()
    for query in ("?weeks=-1", "?weeks=abc", "?queue=nope", "?weeks=99999999999999999999"):
        assert (await line.client.get("/staff/statistics" + query)).status == 200


def test_durations_read_naturally() -> None:
    assert [duration(s) for s in (None, 42, 600, 1800.5, 3 * 3600 + 5 * 60, 2 * 86400 + 3 * 3600)] == [
        "–", "42 s", "10 min", "30 min", "3 h 05 min", "2 d 3 h"]


async def test_counts_kept_by_the_previous_release_survive_the_upgrade(config) -> None:
    from sqlalchemy import text

    db = Database(config.database_url)
    try:
        await upgrade(db, "0005")
        async with db.session() as s:
            await s.execute(text("INSERT INTO case_stats (queue, category, week, cases, urgent, first_response_minutes) "
                                 "VALUES ('helpline', 'wages', '2026-W10', 3, 1, '[5, 30]')"))
        await upgrade(db)
        async with db.session() as s:
            row = (await s.execute(text("SELECT opened, closed, urgent, first_response_seconds FROM case_stats"))).one()
        assert (row[0], row[1], row[2], json.loads(row[3])) == (3, 3, 1, [300, 1800])
    finally:
        await db.close()


def _totals(html: str, queue: str) -> dict[str, str]:
    section = html[html.index(f'id="stats-{queue}"'):]
    section = section[:section.index("</ul>")]
    return dict(re.findall(r'data-total="(\w+)">([^<]*)<', section))


async def test_totals_urgent_cases_backlog_and_charts_drawn_on_the_server(sign_in, runtime, clock) -> None:
    start = clock.now
    first = await file_helpline_report(ChatDriver(runtime, contact="a"), "he will beat me", category="safety")
    await _answer(runtime, first, timedelta(hours=2), close_after=timedelta(days=1))
    clock.now = start + WEEK
    for i in range(3):
        await file_helpline_report(ChatDriver(runtime, contact=f"b{i}"), "wages Secret-Name-Zhang", category="wages")
    clock.now = start + 2 * WEEK
    line = await sign_in("line@etp.org")
    html = await (await line.client.get("/staff/statistics")).text()
    assert _totals(html, "helpline") == {"opened": "4", "closed": "1", "urgent": "1", "backlog": "3",
                                         "median": "2 h 00 min"}
    week_a, week_b = iso_week(start), iso_week(start + WEEK)
    assert _row(html, "week-row", week_a)[1:5] == ["1", "1", "1", "0"]
    assert _row(html, "week-row", week_b)[1:5] == ["3", "0", "0", "3"]
    charts = re.findall(r'<figure class="chart">(.*?)</figure>', html, re.S)
    assert len(charts) == 4 and all(c.lstrip().startswith("<svg") for c in charts)
    assert "Cases opened and closed per week" in charts[0] and "Backlog" in charts[1]
    assert "<script" not in html.split("</head>")[1] and "https://" not in html.split("</head>")[1]
    assert "Secret-Name-Zhang" not in html
    for ref in [first]:
        assert ref not in html
    dates = await (await line.client.get("/staff/statistics", params={
        "from": (start + WEEK).date().isoformat(), "to": (start + WEEK).date().isoformat()})).text()
    assert _totals(dates, "helpline")["opened"] == "3" and f'data-week="{week_a}"' not in dates
    assert _totals(dates, "helpline")["backlog"] == "3"
    later = await (await line.client.get("/staff/statistics", params={"from": clock.now.date().isoformat()})).text()
    assert _totals(later, "helpline")["opened"] == "0" and _totals(later, "helpline")["backlog"] == "3"  # carried on
    for query in ({"from": "2026-13-45"}, {"to": "yesterday"}, {"from": "2030-01-01", "to": "2020-01-01"}):
        assert (await line.client.get("/staff/statistics", params=query)).status == 200


async def test_the_statistics_as_csv_counts_only(sign_in, runtime, clock) -> None:
    import csv
    import io

    start = clock.now
    ref = await file_helpline_report(ChatDriver(runtime, contact="a"), "Supervisor Wang took my card", category="wages")
    await _answer(runtime, ref, timedelta(minutes=45))
    desk_chat = ChatDriver(runtime, contact="manager")
    await desk_chat.send("/human When is our audit?")
    await desk_chat.choose("human:send")
    line = await sign_in("line@etp.org")
    response = await line.client.get("/staff/statistics.csv", params={"weeks": "13"})
    assert response.status == 200 and response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = (await response.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    week = iso_week(start)
    (total,) = [r for r in rows if r["week"] == week and r["category"] == "all"]
    assert (total["queue"], total["opened"], total["answered"], total["median_first_response_minutes"]) == (
        "helpline", "1", "1", "45.0")
    assert {r["queue"] for r in rows} == {"helpline"} and len({r["week"] for r in rows}) == 13
    assert any(r["category"] == "wages" and r["opened"] == "1" for r in rows)
    assert "Wang" not in text and ref not in text and "H-" not in text
    admin = await sign_in("admin@etp.org")
    everything = (await (await admin.client.get("/staff/statistics.csv?weeks=13")).read()).decode("utf-8-sig")
    assert {r["queue"] for r in csv.DictReader(io.StringIO(everything))} == {"helpline", "integrity", "helpdesk"}
