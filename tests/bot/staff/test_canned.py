"""Canned replies: admins add, edit and delete them per queue and language; a case page of the
queue offers them, the reporter's language first, and puts the chosen one into the reply box."""
import re

from bot.core.models.canned import CannedReply
from tests.casekit import file_helpline_report
from tests.conftest import ChatDriver


async def _add(admin, queue: str, lang: str, title: str, body: str):
    return await admin.post("/staff/admin/canned", queue=queue, lang=lang, title=title, body=body)


async def _ids(runtime) -> dict[str, int]:
    from sqlalchemy import select

    async with runtime.db.session() as s:
        return {r.title: r.id for r in (await s.execute(select(CannedReply))).scalars()}


async def test_admins_keep_canned_replies_and_only_admins(sign_in, runtime) -> None:
    admin = await sign_in("admin@etp.org")
    assert (await _add(admin, "helpline", "en", "Thanks", "Thank you for telling us.")).status == 303
    bad = await _add(admin, "helpline", "en", "", "no title")
    assert bad.status == 400 and "a title of 1 to 120 characters" in await bad.text()
    assert (await _add(admin, "nowhere", "en", "x", "y")).status == 400
    assert (await _add(admin, "helpline", "fr", "x", "y")).status == 400
    html = await (await admin.client.get("/staff/admin/canned")).text()
    assert html.count('class="canned-row"') == 1 and "Thank you for telling us." in html

    (reply_id,) = (await _ids(runtime)).values()
    edit = await (await admin.client.get(f"/staff/admin/canned/{reply_id}")).text()
    assert 'value="Thanks"' in edit and ">Thank you for telling us.</textarea>" in edit
    saved = await admin.post(f"/staff/admin/canned/{reply_id}", queue="helpline", lang="zh", title="谢谢",
                             body="谢谢你告诉我们。")
    assert saved.status == 303
    html = await (await admin.client.get("/staff/admin/canned")).text()
    assert "谢谢你告诉我们。" in html and "Thank you for telling us." not in html and "中文" in html
    assert (await admin.post(f"/staff/admin/canned/{reply_id}/delete")).status == 400  # not confirmed
    assert (await admin.post(f"/staff/admin/canned/{reply_id}/delete", confirm="yes")).status == 303
    assert (await admin.post(f"/staff/admin/canned/{reply_id}/delete", confirm="yes")).status == 404
    assert await _ids(runtime) == {}

    line = await sign_in("line@etp.org")
    assert (await line.client.get("/staff/admin/canned")).status == 404
    assert (await _add(line, "helpline", "en", "Mine", "sneaky")).status == 404
    assert await _ids(runtime) == {}


async def test_a_case_offers_its_queues_replies_in_the_reporters_language_first(sign_in, runtime) -> None:
    admin = await sign_in("admin@etp.org")
    await _add(admin, "helpline", "en", "Ask for payslips", "Please keep copies of your payslips <b>safe</b>.")
    await _add(admin, "helpline", "zh", "索取工资单", "请保留你的工资单复印件。")
    await _add(admin, "integrity", "zh", "Integrity only", "不是热线的回复")
    ids = await _ids(runtime)
    reporter = ChatDriver(runtime, contact="wx-zh")
    await reporter.send("/lang zh")
    ref = await file_helpline_report(reporter, "工资没有发")
    line = await sign_in("line@etp.org")
    case_id = await line.case_id(ref)
    page = await (await line.client.get(f"/staff/cases/{case_id}")).text()
    picker = page[page.index('id="canned-pick"'):page.index("</select>", page.index('id="canned-pick"'))]
    assert re.findall(r'<optgroup label="([^"]+)">', picker) == ["中文", "English"]  # the reporter's language first
    assert picker.index("索取工资单") < picker.index("Ask for payslips") and "Integrity only" not in picker
    assert 'data-body="Please keep copies of your payslips &lt;b&gt;safe&lt;/b&gt;."' in picker
    inserted = await (await line.client.get(f"/staff/cases/{case_id}", params={"canned": ids["索取工资单"]})).text()
    assert '>请保留你的工资单复印件。</textarea>' in inserted
    foreign = await (await line.client.get(f"/staff/cases/{case_id}", params={"canned": ids["Integrity only"]})).text()
    assert "不是热线的回复" not in foreign
