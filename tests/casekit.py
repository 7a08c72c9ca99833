"""Helpers shared by the case tests: a reporter who goes through a flow, the staff console over
HTTP (aiohttp test client), a fake outbox sender, staff accounts."""
from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.core.messages import Reply
from bot.core.models.cases import Case
from integrations import appkeys as K

REF = re.compile(r"\b([HID]-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})\b")
PASSWORD = "correct horse battery"


def reference_in(text: str) -> str:
    found = REF.search(text)
    assert found, f"no case reference in {text!r}"
    return found.group(1)


async def file_helpline_report(chat, text: str, *, category: str = "wages", notify: str = "message") -> str:
    """Go through the helpline flow as a worker; returns the case reference."""
    await chat.send("/helpline")
    await chat.choose(f"helpline:cat:{category}")
    await chat.send(text)
    await chat.choose("helpline:done")
    await chat.choose(f"helpline:notify:{notify}")
    await chat.choose("helpline:send")
    return reference_in(chat.text)


async def cases_in_db(runtime) -> list[Case]:
    async with runtime.db.session() as s:
        return list((await s.execute(select(Case).order_by(Case.id))).scalars())


class FakeSender:
    """An outbox sender that records what the platform would have received."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Reply], str]] = []
        self.fail_with: list[Exception] = []

    async def send(self, destination: str, replies: list[Reply], *, kind: str) -> None:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append((destination, replies, kind))

    def texts_to(self, destination: str) -> list[str]:
        return [r.text for d, replies, _ in self.sent if d == destination for r in replies]


async def add_staff(runtime, email: str, role: str, password: str = PASSWORD, *, enrolled: bool = True) -> None:
    """A staff account; `enrolled`: with a second factor already set up (a random secret, as the
    enrolment page makes; `totp_code` gives its codes), else it enrols at its first sign-in."""
    from bot.staff import totp
    from bot.staff.accounts import create_account

    async with runtime.db.session() as s:
        user = await create_account(s, email, role, password)
        if enrolled:
            user.totp_secret_enc = runtime.services.secrets.encrypt(totp.new_secret())
            user.totp_enrolled_at = runtime.services.clock()


async def totp_code(runtime, email: str, *, real_time: bool = False) -> str:
    """The code the member's app shows now (on the runtime's clock, or `real_time` for a server
    with a runtime of its own), for a time step not yet used: when the codes of this step and the
    next are used, a test's clock moves 30 s on (real time: waits for the next step)."""
    from bot.core.models.cases import StaffUser

    async with runtime.db.session() as s:
        user = (await s.execute(select(StaffUser).where(StaffUser.email == email.lower()))).scalar_one()
    secret = runtime.services.secrets.decrypt(user.totp_secret_enc)
    clock = (lambda: datetime.now(UTC)) if real_time else runtime.services.clock
    while True:
        step = pyotp.TOTP(secret).timecode(clock())
        for ahead in (0, 1):  # the server takes a step either side of its own
            if user.totp_last_step is None or step + ahead > user.totp_last_step:
                return pyotp.TOTP(secret).at(clock() + timedelta(seconds=30 * ahead))
        if hasattr(clock, "advance"):
            clock.advance(timedelta(seconds=30))
        else:
            await asyncio.sleep(30 - clock().timestamp() % 30 + 0.1)


def console_app(runtime) -> web.Application:
    """The console on an application that shares the test's runtime (and clock)."""
    from bot.staff import setup

    app = web.Application()
    app[K.RUNTIME] = runtime
    setup(app)
    return app


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Console:
    """A browser on the staff console: cookies kept by the test client's session."""

    def __init__(self, client) -> None:
        self.client = client

    async def login(self, email: str, password: str = PASSWORD, *, code: bool = True):
        """Sign in with the password, then (`code`) with the code of the account's app when the
        console asks for it; the last answer (a 303 to the console when signed in)."""
        page = await self.client.get("/staff/login")
        token = _CSRF.search(await page.text()).group(1)
        response = await self.client.post("/staff/login", data={"email": email, "password": password, "csrf": token},
                                          allow_redirects=False)
        if code and response.status == 303 and response.headers["Location"] == "/staff/login/code":
            response = await self.give_code(email)
        return response

    async def give_code(self, email: str, code: str | None = None):
        """The second step: `code`, or the one the account's app shows now."""
        code = code or await totp_code(self.client.server.app[K.RUNTIME], email)
        return await self.post("/staff/login/code", code=code, csrf=await self.csrf("/staff/login/code"))

    async def csrf(self, path: str = "/staff/") -> str:
        page = await self.client.get(path)
        return _CSRF.search(await page.text()).group(1)

    async def case_number(self, ref: str) -> str:
        """The case number staff see for the case of the reporter's receipt `ref`."""
        from bot.services import cases

        runtime = self.client.server.app[K.RUNTIME]
        async with runtime.db.session() as s:
            case = await cases.find_case(s, runtime.services.secrets, ref)
        assert case is not None, f"no case has the receipt {ref}"
        return cases.case_number(case)

    async def case_id(self, ref: str, query: str = "?status=all") -> int:
        """The id of the case with the receipt `ref`, found in the list by its case number (the list
        never shows the receipt)."""
        html = await (await self.client.get("/staff/" + query)).text()
        assert ref not in html, "the receipt is shown to staff"
        number = await self.case_number(ref)
        found = re.search(r'href="/staff/cases/(\d+)">' + re.escape(number) + "<", html)
        assert found, f"{number} not in the case list"
        return int(found.group(1))

    async def post(self, path: str, **data: str):
        data.setdefault("csrf", await self.csrf())
        return await self.client.post(path, data=data, allow_redirects=False)

    async def reply(self, case_id: int, body: str):
        return await self.post(f"/staff/cases/{case_id}/reply", body=body)


@pytest.fixture
async def console(runtime):
    """A function returning a new signed-out browser on the console (each with its own cookies)."""
    from aiohttp import CookieJar
    from aiohttp.test_utils import TestClient, TestServer

    server = TestServer(console_app(runtime))
    clients: list[TestClient] = []

    async def browser() -> Console:
        client = TestClient(server, cookie_jar=CookieJar(unsafe=True))
        await client.start_server()
        clients.append(client)
        return Console(client)

    yield browser
    for client in clients:
        await client.close()
    await server.close()
