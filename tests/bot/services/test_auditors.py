"""The register of accredited auditors: replaced as a whole, exact matches only (after folding
case, spaces and script), similar names never confirmed, an empty register says so."""
from datetime import date

import pytest

from bot.core.csvfile import CsvImportError
from bot.services.auditors import check_auditor, parse_auditors, replace_register
from tests.conftest import ChatDriver

TODAY = date(2026, 3, 2)
REGISTER = (
    "firm,name,name_zh,valid_until\n"
    "SGS,Zhang Wei,张伟,\n"
    "UL,Maria Lopez,,2026-12-31\n"
    "ELEVATE,Chen Jing,陈静,2026-01-31\n"  # accreditation ended before today
    "SCSA,Zhang Wei,,\n"  # the same name at a second firm
).encode()


async def load(runtime, data: bytes = REGISTER) -> None:
    async with runtime.db.session() as s:
        await replace_register(s, parse_auditors(data).rows)


async def check(runtime, name: str, firm: str | None = None):
    async with runtime.db.session() as s:
        return await check_auditor(s, name, firm, TODAY)


async def test_exact_matches_after_folding_case_spaces_width_and_script(runtime) -> None:
    await load(runtime)
    for name, firm in [("Zhang Wei", "SGS"), ("  zhang   WEI ", "sgs"), ("ZhangWei", "ＳＧＳ"), ("张伟", "SGS"),
                       ("張偉", "SGS"), ("张 伟", None)]:
        result = await check(runtime, name, firm)
        assert result.outcome == "confirmed", (name, firm)
        assert "SGS" in [a.firm for a in result.auditors]
    both = await check(runtime, "zhang wei")
    assert sorted(a.firm for a in both.auditors) == ["SCSA", "SGS"]


@pytest.mark.parametrize("name, firm", [
    ("Zhang Wie", "SGS"), ("Zhang Weii", "SGS"), ("Zhang", "SGS"), ("Zhang Wei Jr", None), ("张玮", None),
    ("Zhang Wei", "UL"), ("Zhang Wei", "SGS Ltd"), ("Maria Lopes", None), ("", None),
])
async def test_similar_names_and_wrong_firms_are_never_confirmed(runtime, name: str, firm: str | None) -> None:
    await load(runtime)
    result = await check(runtime, name, firm)
    assert result.outcome == "not_listed" and result.auditors == ()
    assert result.firms == ("ELEVATE", "SCSA", "SGS", "UL")


async def test_an_ended_accreditation_is_not_confirmed(runtime) -> None:
    await load(runtime)
    assert (await check(runtime, "Chen Jing", "ELEVATE")).outcome == "expired"
    assert (await check(runtime, "Maria Lopez", "UL")).outcome == "confirmed"  # valid until 31 Dec 2026


async def test_an_import_replaces_the_whole_register(runtime) -> None:
    await load(runtime)
    await load(runtime, b"firm,name\nUL,Li Na\n")
    assert (await check(runtime, "Li Na", "UL")).outcome == "confirmed"
    assert (await check(runtime, "Zhang Wei", "SGS")).outcome == "not_listed"


async def test_an_empty_register_cannot_verify(runtime) -> None:
    assert (await check(runtime, "Zhang Wei", "SGS")).outcome == "empty_register"


async def test_a_bad_file_is_refused_with_row_numbers_and_changes_nothing(runtime) -> None:
    await load(runtime)
    bad = b"firm,name,valid_until\nSGS,Li Na,2026-13-01\n,No Firm,\nUL,Li Na,\nul, li  na ,\n"
    with pytest.raises(CsvImportError) as caught:
        parse_auditors(bad)
    by_row = {e.row: e.reason for e in caught.value.errors}
    assert "bad date '2026-13-01'" in by_row[2]
    assert "missing value for firm" in by_row[3]
    assert "duplicate auditor" in by_row[5] and "first on row 4" in by_row[5]
    with pytest.raises(CsvImportError, match="missing column name"):
        parse_auditors(b"firm,auditor\nSGS,Zhang Wei\n")
    assert (await check(runtime, "Zhang Wei", "SGS")).outcome == "confirmed"


def test_gb18030_auditor_files_are_read() -> None:
    (row,) = parse_auditors("firm,name,name_zh\nSGS,Zhang Wei,张伟\n".encode("gb18030")).rows
    assert row["name_zh"] == "张伟"


# -- in the chat -------------------------------------------------------------------------------
async def test_a_question_phrased_as_a_check_is_answered_from_the_register(runtime, chat: ChatDriver) -> None:
    await load(runtime)
    runtime.services.today_override = TODAY
    await chat.send("/lang en")
    await chat.send("Is auditor Zhang Wei from SGS authorised?")
    assert "Yes: Zhang Wei is on the register of accredited auditors, for SGS." in chat.text
    await chat.send("Is auditor Zhang Wie from SGS authorised?")
    integrity = runtime.services.kb.facts.contacts.integrity.email
    assert "Zhang Wie of SGS is not on the register" in chat.text and integrity in chat.text
    await chat.send("审核員張偉（SGS）是否授權？")  # Traditional characters
    assert "是的：张伟 在认可审核员名册上，所属机构：SGS" in chat.text
    await chat.send("Is Maria Lopez of UL an accredited auditor?")
    assert "for UL (accredited until 31 December 2026)" in chat.text
    await chat.send("/auditor Chen Jing, ELEVATE")
    assert "accredited only until 31 January 2026" in chat.text and "Yes" not in chat.text


async def test_the_check_from_the_status_menu_asks_for_the_name(runtime, chat: ChatDriver) -> None:
    await load(runtime)
    await chat.send("/lang zh")
    await chat.send("/status")
    await chat.choose("auditor")
    assert "请发送审核员的姓名和所属审核机构" in chat.text
    await chat.send("张伟，SGS")
    assert "是的：张伟 在认可审核员名册上" in chat.text
    await chat.send("核实审核员")
    await chat.send("王强, SGS")
    assert "SGS的王强不在认可审核员名册上" in chat.text and "名册上的审核机构：ELEVATE、SCSA、SGS、UL。" in chat.text


async def test_an_empty_register_says_where_to_ask(runtime, chat: ChatDriver) -> None:
    await chat.send("/lang en")
    await chat.send("/auditor Zhang Wei, SGS")
    helpdesk = runtime.services.kb.facts.contacts.helpdesk
    assert "cannot verify auditors right now" in chat.text and helpdesk.phone in chat.text
    assert "Yes" not in chat.text and "not on the register" not in chat.text


async def test_general_questions_about_auditors_still_reach_the_faq(runtime, chat: ChatDriver) -> None:
    await load(runtime)
    await chat.send("/lang en")
    for question in ["How do I know the auditor is genuine?", "Is the auditor who visits us authorised?",
                     "审核员是否会提前通知？", "什么是授权审核员"]:
        await chat.send(question)
        assert "register of accredited auditors" not in chat.text and "认可审核员名册" not in chat.text, question
        lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in question) else "en"
        assert runtime.services.kb.answer(question, lang=lang).answer in chat.text, question
