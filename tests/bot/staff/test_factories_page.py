"""The console's Factories page: the helpdesk and admins find a factory, issue a one-time binding
code (shown once, never logged nor stored in clear) that the factory's chat then binds with, see
the factory's active bindings without any chat identity, and revoke one; every action is in the
access log."""
import logging
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.models import Base
from tests.conftest import ChatDriver
from tests.factories_support import import_rows

FACTORIES = [
    "C1,Sunny Toys Ltd,certified,2025-06-10,阳光玩具有限公司,2026-06-10,0,0,0",
    "P1,Bright Plastics,progressing,2025-10-20,明亮塑料厂,,3,2,0",
    'X9,<b>Bold</b> & "Quoted" Works,assessed,2025-05-01,,,,,',
]
CHAT_ID = "tg-chat-9081726354"  # what the platform calls the factory's chat
CODE = re.compile(r'<strong id="code">([0-9A-Z]{4}-[0-9A-Z]{4})</strong>')


async def _factories(runtime) -> None:
    await import_rows(runtime.db, *FACTORIES)


async def _factory_path(browser, factory_id: str) -> str:
    html = await (await browser.client.get("/staff/factories", params={"q": factory_id})).text()
    found = re.search(r'<a href="(/staff/factories/\d+)">' + re.escape(factory_id) + "<", html)
    assert found, f"{factory_id} not found in {html}"
    return found.group(1)


async def _issue(browser, path: str) -> tuple[str, str]:
    response = await browser.post(path + "/code")
    html = await response.text()
    assert response.status == 200, html
    return CODE.search(html).group(1), html


async def _bound_chat(runtime, browser, path: str) -> ChatDriver:
    code, _ = await _issue(browser, path)
    chat = ChatDriver(runtime, channel="telegram", contact=CHAT_ID)
    await chat.send("/lang en")
    await chat.send(f"/bind {code}")
    assert "linked to" in chat.text, chat.text
    return chat


async def test_helpdesk_finds_factories_by_id_or_name_escaped(sign_in, runtime) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    html = await (await desk.client.get("/staff/factories")).text()
    assert html.count('class="factory-row"') == 3 and 'href="/staff/factories"' in html  # listed, in the nav
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;Quoted&#34; Works" in html and "<b>Bold" not in html
    assert "阳光玩具有限公司" in html and "2026-06-10" in html and "certified" in html

    for query, expected in [("c1", "Sunny Toys Ltd"), ("plastic", "Bright Plastics"), ("阳光", "Sunny Toys Ltd")]:
        found = await (await desk.client.get("/staff/factories", params={"q": query})).text()
        assert found.count('class="factory-row"') == 1 and expected in found, query
    for nonsense in ["%", "_", "nothing like it", "\x00", "x" * 5000]:
        response = await desk.client.get("/staff/factories", params={"q": nonsense, "page": "-3"})
        assert response.status == 200, nonsense


async def test_a_long_list_is_paged(sign_in, runtime) -> None:
    await import_rows(runtime.db, *[f"F{n:03},Factory {n},assessed,2025-05-01,,,,," for n in range(60)])
    desk = await sign_in("desk@etp.org")
    first = await (await desk.client.get("/staff/factories")).text()
    second = await (await desk.client.get("/staff/factories?page=2")).text()
    assert first.count('class="factory-row"') == 50 and second.count('class="factory-row"') == 10
    assert "page 1 of 2" in first and ">F000<" in first and ">F059<" in second and ">F000<" not in second


async def test_only_helpdesk_and_admins_reach_the_page(sign_in, console, runtime) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    path = await _factory_path(desk, "C1")
    for email in ("line@etp.org", "integrity@etp.org"):
        other = await sign_in(email)
        home = await (await other.client.get("/staff/")).text()
        assert "/staff/factories" not in home
        assert (await other.client.get("/staff/factories")).status == 404
        assert (await other.client.get(path)).status == 404
        assert (await other.post(path + "/code")).status == 404
    admin = await sign_in("admin@etp.org")
    assert (await admin.client.get(path)).status == 200
    assert CODE.search((await _issue(admin, path))[1])
    stranger = await console()
    assert (await stranger.client.get(path, allow_redirects=False)).status == 303  # to the sign-in page
    assert (await stranger.client.post(path + "/code", data={"csrf": "x"})).status == 403


async def test_unknown_factories_and_bindings_are_not_found(sign_in, runtime) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    path = await _factory_path(desk, "C1")
    other = await _factory_path(desk, "P1")
    chat = await _bound_chat(runtime, desk, path)
    binding = re.search(r'/bindings/(\d+)/revoke', await (await desk.client.get(path)).text()).group(1)
    for bad in ["/staff/factories/999999", "/staff/factories/abc", "/staff/factories/0",
                "/staff/factories/99999999999999999999"]:
        assert (await desk.client.get(bad)).status == 404, bad
        assert (await desk.post(bad + "/code")).status == 404, bad
    for bad in [f"{path}/bindings/999999/revoke", f"{path}/bindings/x/revoke",
                f"{other}/bindings/{binding}/revoke"]:  # a binding of another factory
        assert (await desk.post(bad, confirm="yes")).status == 404, bad
    await chat.send("/status")
    assert "Sunny Toys Ltd" in chat.text  # nothing was revoked


async def test_forms_without_the_csrf_token_are_refused(sign_in, runtime) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    path = await _factory_path(desk, "C1")
    chat = await _bound_chat(runtime, desk, path)
    binding = re.search(r'/bindings/(\d+)/revoke', await (await desk.client.get(path)).text()).group(1)
    for token in ("", "forged"):
        issued = await desk.client.post(path + "/code", data={"csrf": token})
        assert issued.status == 403 and not CODE.search(await issued.text())
        revoked = await desk.client.post(f"{path}/bindings/{binding}/revoke", data={"csrf": token, "confirm": "yes"})
        assert revoked.status == 403
    await chat.send("/status")
    assert "Sunny Toys Ltd" in chat.text


async def test_a_code_issued_on_the_page_binds_the_factorys_chat(sign_in, runtime, clock) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    path = await _factory_path(desk, "C1")
    issued_at = clock()
    code, html = await _issue(desk, path)
    expires = (issued_at + timedelta(days=runtime.config.code_ttl_days)).astimezone(ZoneInfo(runtime.config.timezone))
    assert re.search(r"expires on\s+" + re.escape(expires.strftime("%Y-%m-%d %H:%M")), html)
    assert f"/bind {code}" in html and f"绑定 {code}" in html and "Give this code to the factory" in html
    again = await (await desk.client.get(path)).text()
    assert code not in again  # shown once

    chat = ChatDriver(runtime, channel="telegram", contact=CHAT_ID)
    await chat.send("/lang en")
    await chat.send("/status")
    assert "No factory is linked" in chat.text
    await chat.send(f"/bind {code}")
    await chat.send("/status")
    assert "Sunny Toys Ltd (factory ID C1)" in chat.text


async def test_the_page_lists_active_bindings_without_who_is_behind_them(sign_in, runtime) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    path = await _factory_path(desk, "C1")
    await _bound_chat(runtime, desk, path)
    wechat = ChatDriver(runtime, channel="wechat", contact="o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
    await wechat.send(f"/bind {(await _issue(desk, path))[0]}")
    html = await (await desk.client.get(path)).text()
    assert html.count('class="binding-row"') == 2 and "telegram" in html and "wechat" in html
    for identity in (CHAT_ID, "9081726354", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"):
        assert identity not in html
    binding = re.search(r'/bindings/(\d+)/revoke', html).group(1)
    confirm = await (await desk.post(f"{path}/bindings/{binding}/revoke")).text()
    assert f"Revoke binding #{binding}?" in confirm
    for identity in (CHAT_ID, "9081726354", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"):
        assert identity not in confirm


async def test_revoking_asks_first_then_unlinks_the_chat(sign_in, runtime) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    path = await _factory_path(desk, "C1")
    chat = await _bound_chat(runtime, desk, path)
    binding = re.search(r'/bindings/(\d+)/revoke', await (await desk.client.get(path)).text()).group(1)

    asked = await desk.post(f"{path}/bindings/{binding}/revoke")
    page = await asked.text()
    assert asked.status == 200 and f"Revoke binding #{binding}?" in page and 'name="confirm" value="yes"' in page
    await chat.send("/status")
    assert "Sunny Toys Ltd" in chat.text  # not yet

    done = await desk.post(f"{path}/bindings/{binding}/revoke", confirm="yes")
    assert done.status == 303 and done.headers["Location"].startswith(path)
    after = await (await desk.client.get(done.headers["Location"])).text()
    assert "The binding was revoked" in after and 'class="binding-row"' not in after
    await chat.send("/status")
    assert "No factory is linked" in chat.text and "/bind CODE" in chat.text
    assert (await desk.post(f"{path}/bindings/{binding}/revoke", confirm="yes")).status == 404  # only once


async def test_issuing_and_revoking_are_in_the_access_log(sign_in, runtime) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    path = await _factory_path(desk, "P1")
    code, _ = await _issue(desk, path)
    chat = ChatDriver(runtime, channel="telegram", contact=CHAT_ID)
    await chat.send(f"/bind {code}")
    binding = re.search(r'/bindings/(\d+)/revoke', await (await desk.client.get(path)).text()).group(1)
    await desk.post(f"{path}/bindings/{binding}/revoke", confirm="yes")

    admin = await sign_in("admin@etp.org")
    html = await (await admin.client.get("/staff/admin/access")).text()
    rows = re.findall(r'<tr class="access-row">(.*?)</tr>', html)
    assert len(rows) == 2
    assert "desk@etp.org" in rows[0] and "factory P1" in rows[0] and f"binding revoked #{binding}" in rows[0]
    assert "desk@etp.org" in rows[1] and "factory P1" in rows[1] and "binding code issued" in rows[1]
    assert code not in html and code.replace("-", "") not in html


async def test_the_code_is_neither_logged_nor_stored_in_clear(sign_in, runtime, caplog) -> None:
    await _factories(runtime)
    desk = await sign_in("desk@etp.org")
    path = await _factory_path(desk, "C1")
    caplog.set_level(logging.DEBUG)
    code, _ = await _issue(desk, path)
    assert any(getattr(r, "event", None) == "binding_code_issued" for r in caplog.records)  # logged, but...
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for form in (code, code.replace("-", ""), code.lower()):
        assert form not in logged

    stored = []
    async with runtime.db.session() as s:
        for table in Base.metadata.sorted_tables:
            stored += [repr(tuple(row)) for row in (await s.execute(select(table))).all()]
    dump = "\n".join(stored)
    assert "binding_codes" in Base.metadata.tables and dump
    for form in (code, code.replace("-", ""), code.lower()):
        assert form not in dump
