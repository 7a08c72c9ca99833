"""Confidentiality, measured: the raw SQLite file holds neither a reporter's platform id nor the
words of a report, and logs carry neither."""
import logging
from pathlib import Path

import pytest

from bot.outbox_worker import OutboxWorker
from tests.casekit import FakeSender, file_helpline_report
from tests.conftest import ChatDriver

PLATFORM_ID = "o6_wxOpenIdReporter9QzK"
REPORT = "Supervisor Wang Lihua keeps my salary card number 7731"
REPLY = "Please keep a copy of your payslips, we are calling the factory"


async def test_raw_database_and_logs_hold_no_id_and_no_report_text(runtime, config, caplog) -> None:
    if not config.is_sqlite:
        pytest.skip("reads the SQLite file's bytes")
    caplog.set_level(logging.DEBUG)
    reporter = ChatDriver(runtime, channel="terminal", contact=PLATFORM_ID)
    ref = await file_helpline_report(reporter, REPORT)
    await reporter.send(ref)
    await reporter.send("我的工资卡被主管拿走了")
    await reporter.send("/report")
    await reporter.choose("report:cat:bribery")
    await reporter.send("auditor Zhang from the audit firm")  # a draft in progress, too

    from bot.core.models.cases import StaffUser
    from bot.services import cases

    async with runtime.db.session() as s:
        staff = StaffUser(email="line@etp.org", role="helpline", password_hash="x")
        s.add(staff)
        await s.flush()
        case = await cases.find_case(s, runtime.services.secrets, ref)
        await cases.staff_reply(s, runtime.services.secrets, case, staff, REPLY, now=runtime.services.clock())
    await OutboxWorker(runtime.db, runtime.services.secrets, {"terminal": FakeSender()}).deliver_due()

    db_file = Path(config.database_url.split("///", 1)[1])
    raw = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
    assert len(raw) > 10_000  # the database (and its write-ahead log) were read
    for secret in [PLATFORM_ID, REPORT, "salary card number", "我的工资卡", "auditor Zhang", REPLY, ref, ref.replace("-", "")]:
        assert secret.encode("utf-8") not in raw, secret
    assert "case opened" in caplog.text and "staff reply" in caplog.text  # logging was captured
    for secret in [PLATFORM_ID, "salary card", "工资卡", "Zhang", "payslips", ref]:
        assert secret not in caplog.text, secret
