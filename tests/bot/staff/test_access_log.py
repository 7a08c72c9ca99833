"""The access log: filtered by staff member, action and dates (office time zone), paged, and as
CSV; case numbers only, never a receipt or a text."""
import csv
import io
from datetime import timedelta

from tests.casekit import add_staff, file_helpline_report
from tests.conftest import ChatDriver


async def _member_id(admin, email: str) -> str:
    import re

    html = await (await admin.client.get("/staff/admin/access")).text()
    return re.search(r'<option value="(\d+)"[^>]*>' + re.escape(email) + "<", html).group(1)


async def test_filter_the_access_log_and_export_it(sign_in, runtime, clock) -> None:
    await add_staff(runtime, "line2@etp.org", "helpline")
    ref = await file_helpline_report(ChatDriver(runtime, contact="a"), "Manager Chen withholds wages")
    line = await sign_in("line@etp.org")
    case_id = await line.case_id(ref)
    number = await line.case_number(ref)
    await line.client.get(f"/staff/cases/{case_id}")  # view (day 1)
    await line.reply(case_id, "We will call Chen's factory")  # reply (day 1)
    clock.advance(timedelta(days=2))
    line2 = await sign_in("line2@etp.org")
    await line2.client.get(f"/staff/cases/{case_id}")  # view (day 3)
    await line2.post(f"/staff/cases/{case_id}/note", body="spoke to HR")  # note (day 3)
    desk = await sign_in("desk@etp.org")
    await desk.client.get(f"/staff/cases/{case_id}")  # denied (day 3)

    admin = await sign_in("admin@etp.org")
    everything = await (await admin.client.get("/staff/admin/access")).text()
    assert everything.count('class="access-row"') == 5 and "5 entries" in everything
    line_id = await _member_id(admin, "line@etp.org")
    mine = await (await admin.client.get("/staff/admin/access", params={"staff": line_id})).text()
    assert mine.count('class="access-row"') == 2 and "line2@etp.org</td>" not in mine  # view, reply
    views = await (await admin.client.get("/staff/admin/access", params={"action": "view"})).text()
    assert views.count('class="access-row"') == 2
    denied = await (await admin.client.get("/staff/admin/access", params={"action": "denied"})).text()
    assert denied.count('class="access-row"') == 1 and "desk@etp.org" in denied
    day3 = clock.now.date().isoformat()
    later = await (await admin.client.get("/staff/admin/access", params={"from": day3, "to": day3})).text()
    assert later.count('class="access-row"') == 3 and "line@etp.org</td>" not in later
    earlier = await (await admin.client.get("/staff/admin/access", params={"to": (clock.now - timedelta(days=2)).date().isoformat()})).text()
    assert earlier.count('class="access-row"') == 2
    for query in ({"staff": "x"}, {"from": "nope"}, {"action": "\x00"}, {"staff": "99999999999999"}):
        assert (await admin.client.get("/staff/admin/access", params=query)).status == 200
    assert f'href="/staff/admin/access.csv?staff={line_id}&amp;action=view"' in await (await admin.client.get(
        "/staff/admin/access", params={"staff": line_id, "action": "view"})).text()

    response = await admin.client.get("/staff/admin/access.csv", params={"staff": line_id})
    assert response.status == 200 and response.content_type == "text/csv"
    text = (await response.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in rows] == ["reply", "view"]  # newest first
    assert {r["subject"] for r in rows} == {number} and {r["staff"] for r in rows} == {"line@etp.org"}
    assert rows[0]["at"].endswith("+08:00")  # office time
    full = (await (await admin.client.get("/staff/admin/access.csv")).read()).decode("utf-8-sig")
    for secret in (ref, ref.replace("-", ""), "Chen", "spoke to HR", "withholds"):
        assert secret not in full and secret not in everything
    assert (await line2.client.get("/staff/admin/access.csv")).status == 404
