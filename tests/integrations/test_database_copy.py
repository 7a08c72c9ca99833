"""What a copy of the database gives away (issue 11, docs/operations.md "What a seized server
reveals"): cases are made through the real dialogue on the faked WeChat and Telegram servers (a
helpline report on WeChat, an integrity report from a Telegram chat bound to a factory, a
check-back report continued from a third account with its receipt), answered and annotated by
staff in the console; then the SQLite file (with its WAL) is copied, or the PostgreSQL database
dumped with `pg_dump`, and read as an attacker would:

- the bytes hold no report text, staff reply, note, receipt or chat id;
- no column joins a case to a contact or a factory, and the times kept beside a contact are
  coarsened to the hour (exact times would match a case's);
- with the server's key file too, but no staff member signed in, every value the key opens still
  holds no report text, reply, note or receipt, nor the photo sent with the WeChat report, and no
  case key opens; while signed in, the helpline member sees that photo on the case page (a member
  of the queue not yet given its key gets the case page's "encrypted" answer instead).
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy import inspect, select

from bot.core import sealing
from bot.core.crypto import DecryptError
from bot.core.db import Database
from bot.core.models import Base, OutboxMessage, utcnow
from bot.core.models import outbox as ob
from bot.core.models.evidence import KEPT, CaseEvidence
from bot.services import cases
from bot.services.retention import forget_passive_replies
from tests.casekit import PASSWORD, add_member, reference_in, totp_code
from tests.conftest import require
from tests.factories_support import import_rows, new_code
from tests.fakes import telegram as tg

from .conftest import runtime_of
from .test_relay import StaffBrowser, WeChatWorker, tg_post, wait_until

OPENID = "oCopyWorker0000000000000077"
FACTORY_CHAT = 5550333444
CHECK_BACK_CHAT = 5550666777
THIRD_CHAT = 5550888999

HELPLINE_TEXT = "Marigold line wages withheld since April"
INTEGRITY_TEXT = "Auditor Quillfeather demanded 9000 RMB"
INTEGRITY_WHO = "Quillfeather of Tansy Audit"
CHECK_BACK_TEXT = "Dormitory Larkspur has no fire exit"
FOLLOW_UP_TEXT = "Larkspur building B also locked at night"
REPLIES = ["We contacted Marigold HR today", "Integrity will call Quillfeather's firm",
           "We will inspect Larkspur on Monday"]
NOTES = ["Note: Marigold payroll clerk is Ms Fenwick", "Note: Tansy Audit seen before in 2025"]
PHOTO_MEDIA = "MEDIA_COPY_PAYSLIP"
IMG = re.compile(r'<img src="(/staff/cases/\d+/evidence/\d+)"')
TEAL, MAGENTA = (20, 180, 160), (230, 30, 150)


def pattern_photo() -> bytes:
    """A recognisable photo: 8-pixel squares of teal and magenta, a checkerboard."""
    image = Image.new("RGB", (64, 48))
    for x in range(64):
        for y in range(48):
            image.putpixel((x, y), TEAL if (x // 8 + y // 8) % 2 == 0 else MAGENTA)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def is_the_pattern(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return image.size == (64, 48) and all(
        all(abs(a - b) <= 12 for a, b in zip(image.getpixel((x * 8 + 4, y * 8 + 4)),
                                             TEAL if (x + y) % 2 == 0 else MAGENTA, strict=True))
        for x in range(8) for y in range(6))


async def _photo_kept(runtime) -> bool:
    async with runtime.db.session() as s:
        return [r.status for r in (await s.execute(select(CaseEvidence))).scalars()] == [KEPT]


@pytest.fixture(autouse=True)
def cheap_sealing():
    """The real Argon2id costs here: the copy is what production writes."""


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch):
    from argon2 import PasswordHasher

    from bot.staff import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


async def _telegram(client, chat: int, *steps: str) -> None:
    for step in steps:
        update = tg.callback_update(step, chat_id=chat) if ":" in step and not step.startswith("/") else \
            tg.text_update(step, chat_id=chat)
        await tg_post(client, update)


async def _receipt_on(fake_telegram, chat: int) -> str:
    async def given() -> bool:
        return any(re.search(r"\b[HID]-\w{4}-\w{4}-\w{4}\b", m["text"]) for m in fake_telegram.messages_to(chat))
    await wait_until(given)
    return reference_in(next(m["text"] for m in fake_telegram.messages_to(chat)
                             if re.search(r"\b[HID]-\w{4}-\w{4}-\w{4}\b", m["text"])))


async def _all_delivered(runtime) -> bool:
    async with runtime.db.session() as s:
        rows = (await s.execute(select(OutboxMessage.status))).scalars().all()
    return all(status in (ob.SENT, ob.FAILED) for status in rows)


async def _make_cases(client, wechat_user, fake_wechat, fake_telegram) -> tuple[list[str], bytes]:
    """Every kind of case, answered and annotated; returns the receipts and the photo as the
    helpline member sees it."""
    runtime = runtime_of(client)
    await add_member(runtime, "line@etp.org", "helpline")
    await add_member(runtime, "new-line@etp.org", "helpline")  # not yet given the queue key
    await add_member(runtime, "integrity@etp.org", "integrity")
    await import_rows(runtime.db, "C1,Sunny Toys Ltd,certified,2025-06-10,阳光玩具有限公司,,0,0,0")

    worker = WeChatWorker(wechat_user(client, OPENID), fake_wechat)
    fake_wechat.add_media(PHOTO_MEDIA, pattern_photo())
    await worker.say("/helpline")
    await worker.choose("Wages and overtime")
    await worker.say(HELPLINE_TEXT)
    worker.last = await worker.user.deliver(worker.user.platform.image(OPENID, PHOTO_MEDIA))
    await worker.choose("Done")
    await worker.choose("Message me here")
    await worker.choose("Send")
    helpline = reference_in(worker.last)
    await wait_until(lambda: _photo_kept(runtime))

    await _telegram(client, FACTORY_CHAT, f"/bind {await new_code(runtime, 'C1')}")
    await wait_until(lambda: _said(fake_telegram, FACTORY_CHAT, "Sunny Toys"))
    await _telegram(client, FACTORY_CHAT, "/report", "report:cat:bribery", INTEGRITY_TEXT, INTEGRITY_WHO,
                    "report:skip", "report:skip", "report:skip", "report:notify:message", "report:send")
    integrity = await _receipt_on(fake_telegram, FACTORY_CHAT)

    await _telegram(client, CHECK_BACK_CHAT, "/helpline", "helpline:cat:hours", CHECK_BACK_TEXT, "helpline:done",
                    "helpline:notify:check_back", "helpline:send")
    check_back = await _receipt_on(fake_telegram, CHECK_BACK_CHAT)

    async with _signed_in(client, "line@etp.org") as staff:
        for ref, reply in ((helpline, REPLIES[0]), (check_back, REPLIES[2])):
            await staff.reply(await staff.case_id(ref), reply)
        case_id = await staff.case_id(helpline)
        await _post(staff, f"/staff/cases/{case_id}/note", body=NOTES[0])
        html = await staff.page(f"/staff/cases/{case_id}")
        assert HELPLINE_TEXT in html
        (photo_url,) = IMG.findall(html)
        response = await staff.client.get(photo_url, allow_redirects=False)
        assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
        shown = await response.read()
        assert is_the_pattern(shown)  # the photo the worker sent, as the member sees it
        await _post(staff, "/staff/logout")
    async with _signed_in(client, "new-line@etp.org") as newcomer:  # the queue's, without its key
        html = await newcomer.page(f"/staff/cases/{case_id}")
        assert HELPLINE_TEXT not in html and "(encrypted: you do not hold the queue key" in html
        assert not IMG.findall(html) and "File 1: encrypted to the queue key" in html  # no broken image
        response = await newcomer.client.get(photo_url, allow_redirects=False)
        assert response.status == 403 and (await response.text()).startswith("(encrypted: you do not hold")
        await _post(newcomer, "/staff/logout")
    async with _signed_in(client, "integrity@etp.org") as staff:
        case_id = await staff.case_id(integrity)
        await staff.reply(case_id, REPLIES[1])
        await _post(staff, f"/staff/cases/{case_id}/note", body=NOTES[1])
        assert INTEGRITY_TEXT in await staff.page(f"/staff/cases/{case_id}")
        await _post(staff, "/staff/logout")

    # the check-back reporter reads the answer from a third account with the receipt alone
    await _telegram(client, THIRD_CHAT, check_back)
    await wait_until(lambda: _said(fake_telegram, THIRD_CHAT, REPLIES[2]))
    await _telegram(client, THIRD_CHAT, FOLLOW_UP_TEXT)
    await wait_until(lambda: _said(fake_telegram, THIRD_CHAT, "Added to your case"))
    await wait_until(lambda: _said(fake_telegram, FACTORY_CHAT, REPLIES[1]))
    await wait_until(lambda: _wechat_said(fake_wechat, REPLIES[0]))
    await wait_until(lambda: _all_delivered(runtime))
    return [helpline, integrity, check_back], shown


@contextlib.asynccontextmanager
async def _signed_in(server_client: TestClient, email: str):
    """A staff browser on the running server (closing it leaves the server running)."""
    client = TestClient(server_client.server, cookie_jar=CookieJar(unsafe=True))
    form = await (await client.get("/staff/login")).text()
    response = await client.post("/staff/login", allow_redirects=False, data={
        "email": email, "password": PASSWORD, "csrf": re.search(r'name="csrf" value="([^"]+)"', form).group(1)})
    assert response.headers["Location"] == "/staff/login/code"
    form = await (await client.get("/staff/login/code")).text()
    response = await client.post("/staff/login/code", allow_redirects=False, data={
        "code": await totp_code(runtime_of(server_client), email),
        "csrf": re.search(r'name="csrf" value="([^"]+)"', form).group(1)})
    assert response.headers["Location"] == "/staff/"
    try:
        yield StaffBrowser(client)
    finally:
        await client.session.close()


async def _said(fake_telegram, chat: int, part: str) -> bool:
    return any(part in m["text"] for m in fake_telegram.messages_to(chat))


async def _wechat_said(fake_wechat, part: str) -> bool:
    return any(part in t for t in fake_wechat.sent_texts(OPENID))


async def _post(staff: StaffBrowser, path: str, **data: str) -> None:
    html = await staff.page("/staff/keys")
    data["csrf"] = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    assert (await staff.client.post(path, data=data, allow_redirects=False)).status == 303


def _pg_dump() -> str | None:
    found = shutil.which("pg_dump")
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), key=lambda p: int(p.parts[-3]))
    return str(versions[-1]) if versions else None


async def _copy(database_url: str, into: Path) -> tuple[bytes, str]:
    """The database as an attacker takes it: the bytes, and a URL to query the copy (SQLite) or
    the database itself (PostgreSQL, whose dump holds the same rows)."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        data = b""
        for suffix in ("", "-wal", "-shm"):
            if Path(str(path) + suffix).exists():
                shutil.copyfile(str(path) + suffix, into / ("copy.db" + suffix))
                data += (into / ("copy.db" + suffix)).read_bytes()
        return data, f"sqlite+aiosqlite:///{into / 'copy.db'}"
    pg_dump = _pg_dump()
    require(pg_dump is not None, "pg_dump is not installed")
    url = database_url.replace("postgresql+asyncpg://", "postgresql://")
    dump = await asyncio.to_thread(subprocess.run, [pg_dump, "--no-owner", url], capture_output=True, check=True,
                                   env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    return dump.stdout, database_url


async def _rows(url: str) -> dict[str, list[dict]]:
    db = Database(url)
    try:
        async with db.session() as s:
            return {t.name: [dict(r._mapping) for r in await s.execute(select(t))] for t in Base.metadata.sorted_tables}
    finally:
        await db.close()


async def _foreign_keys(url: str) -> dict[str, set[str]]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(lambda c: {
                t: {fk["referred_table"] for fk in inspect(c).get_foreign_keys(t)} for t in inspect(c).get_table_names()})
    finally:
        await db.close()


async def test_a_copy_of_the_database_reveals_no_report_no_receipt_and_no_link(
        channels_config, serve, wechat_user, fake_wechat, fake_telegram, tmp_path) -> None:
    async with serve(channels_config) as client:
        receipts, photo = await _make_cases(client, wechat_user, fake_wechat, fake_telegram)
        secrets = runtime_of(client).services.secrets
        # the copy is taken later than a minute after the last message: the passive replies cached
        # for WeChat's retries (which preview the report) are wiped by then (the scheduled job)
        assert await forget_passive_replies(runtime_of(client).db, utcnow() + timedelta(minutes=2)) > 0
        data, url = await _copy(channels_config.database_url, tmp_path)

    words = [HELPLINE_TEXT, INTEGRITY_TEXT, INTEGRITY_WHO, CHECK_BACK_TEXT, FOLLOW_UP_TEXT, *REPLIES, *NOTES]
    secret_words = [*words, *receipts, *[r.replace("-", "") for r in receipts]]
    # 1. the bytes: no text, no receipt, no chat id
    for secret in [*secret_words, OPENID, str(FACTORY_CHAT), str(CHECK_BACK_CHAT), str(THIRD_CHAT), "Marigold",
                   "Larkspur", "Quillfeather"]:
        assert secret.encode() not in data, f"{secret!r} is in the database copy"
    for form in (photo, base64.b64encode(photo), base64.urlsafe_b64encode(photo), photo[-64:]):
        assert form not in data, "the photo is in the database copy"

    # 2. no join from a case to a contact or a factory
    fks = await _foreign_keys(url)
    assert fks["cases"] <= {"staff_users"} and fks["case_messages"] <= {"cases", "staff_users"}
    rows = await _rows(url)
    assert not any("contact" in c and not c.endswith(("_enc", "_tag")) for c in rows["cases"][0])
    assert len(rows["cases"]) == 3
    for row in rows["outbox"]:
        assert row["contact_id"] is None and row["body_enc"] == "", "a delivered outbox row keeps who or what"
    # (a binding code's creation is the staff member's act, its use the factory's)
    contact_side = rows["contacts"] + rows["conversations"] + rows["bindings"] + [
        {"consumed_at": r["consumed_at"]} for r in rows["binding_codes"] if r["consumed_at"]]
    for row in contact_side:
        for column, value in row.items():
            if isinstance(value, datetime) and column not in ("expires_at", "valid_until", "revoked_at"):
                assert (value.minute, value.second, value.microsecond) == (0, 0, 0), f"{column} is exact"
    for conv in rows["conversations"]:
        assert conv["flow"] is None and conv["step"] is None and conv["expires_at"] is None
        assert not (conv["choices_json"] or "").startswith("[")

    # 3. with the key file too, no staff signed in: nothing the server key opens holds the texts
    assert rows["session_keys"] == []
    opened, opened_bytes = [], []
    for table, table_rows in rows.items():
        for row in table_rows:
            for column, value in row.items():
                if not isinstance(value, str) or not value or sealing.is_sealed(value):
                    continue
                try:
                    raw = secrets.decrypt_bytes(value)
                except (DecryptError, UnicodeError, ValueError):
                    continue
                opened_bytes.append((table, column, raw))
                opened.append((table, column, raw.decode("utf-8", "replace")))
    assert opened, "the server key opens something (contact ids, for delivery)"
    for table, column, text in opened:
        for secret in secret_words:
            assert secret not in text, f"the server key opens {secret!r} in {table}.{column}"
    for table, column, raw in opened_bytes:
        assert photo not in raw and not raw.startswith(b"\xff\xd8"), f"the server key opens the photo in {table}.{column}"
    (kept,) = rows["case_evidence"]
    assert kept["status"] == KEPT and sealing.is_sealed(kept["data_enc"])  # sealed to the case key
    for row in rows["cases"]:
        assert row["private_by_server_enc"] is None and row["private_by_queue"].startswith(sealing.PREFIX)
    sealed = [m["body_enc"] for m in rows["case_messages"]]
    assert len(sealed) == 9 and all(sealing.is_sealed(b) for b in sealed)  # 3 reports, a follow-up, 3 replies, 2 notes
    # the copy's case keys open only with the receipt (or a member's password): as the reporter would
    by_receipt = {}
    db = Database(url)
    try:
        async with db.session() as s:
            for ref in receipts:
                case = await cases.find_case(s, secrets, ref)
                private = cases.private_for_reporter(case, ref)
                by_receipt[ref] = [cases.read(secrets, private, m.body_enc) for m in await cases.messages(s, case)]
    finally:
        await db.close()
    assert HELPLINE_TEXT in by_receipt[receipts[0]][0] and REPLIES[2] in by_receipt[receipts[2]]
