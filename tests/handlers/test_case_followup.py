"""Continuing a case by its reference, from the same or another account; wrong references are
throttled; replies waiting for a reporter who checks back are shown to them."""
from datetime import timedelta

from bot.outbox_worker import OutboxWorker
from bot.services import cases
from bot.services.references import looks_like_reference, new_reference, normalize
from tests.casekit import FakeSender, cases_in_db, file_helpline_report
from tests.conftest import ChatDriver


def test_references_are_read_back_leniently() -> None:
    ref = new_reference("helpline")
    assert len(ref) == 16 and ref[0] == "H"
    body = ref[2:].replace("-", "")
    assert normalize(ref.lower()) == ref
    assert normalize("h " + body) == ref
    assert normalize("H-0I1L-0000-0000") == "H-0111-0000-0000"
    assert normalize("h-o1l1-oooo-0000") == "H-0111-0000-0000"
    assert normalize("X-0000-0000-0000") is None
    assert normalize("H-0000-0000-000U") is None  # U is not Crockford base-32
    assert not looks_like_reference("deforestation")  # 13 letters, but a word
    assert looks_like_reference(body.lower().join(["h", ""])) == (sum(c.isdigit() for c in body) >= 2)
    assert len({new_reference("integrity") for _ in range(200)}) == 200


async def test_the_reference_on_its_own_continues_the_case_from_another_account(chat, runtime) -> None:
    ref = await file_helpline_report(chat, "we were not paid in May")
    other = ChatDriver(runtime, contact="shared-phone-2")
    await other.send(ref.lower().replace("-", ""))
    assert ref in other.text and "waiting for staff" in other.text
    await other.send("They also took our ID cards")
    assert "Added to your case" in other.text
    (case,) = await cases_in_db(runtime)
    linked = cases.linked_contact_id(runtime.services.secrets, case)
    assert case.status == "waiting" and linked != (await _contact_id(runtime, "user-1"))
    assert linked == await _contact_id(runtime, "shared-phone-2")
    await other.choose("case:done")
    assert "Thank you" in other.text


async def _contact_id(runtime, platform_id: str) -> int:
    from bot.services.contacts import find_contact

    async with runtime.db.session() as s:
        return (await find_contact(s, runtime.services.secrets, "terminal", platform_id)).id


async def test_slash_case_command_and_asking_for_the_reference(chat, runtime) -> None:
    ref = await file_helpline_report(chat, "no rest day")
    await chat.send(f"/case {ref}")
    assert ref in chat.text
    await chat.send("/case")
    assert "send your case reference" in chat.text
    await chat.send(ref)
    assert "waiting for staff" in chat.text


async def test_wrong_references_are_throttled(chat, runtime, clock) -> None:
    ref = await file_helpline_report(chat, "no rest day")
    guesser = ChatDriver(runtime, contact="guesser")
    for _ in range(10):
        await guesser.send("/case H-0000-0000-0000")
        assert "No case has this reference" in guesser.text
    await guesser.send("/case H-0000-0000-0001")
    assert "Too many case references" in guesser.text
    await guesser.send(ref)  # even the right one waits until the hour is over
    assert "Too many case references" in guesser.text and "waiting for staff" not in guesser.text
    clock.advance(timedelta(hours=1))
    await guesser.send(ref)
    assert "waiting for staff" in guesser.text
    await chat.send("/case H-0000-0000-0000")  # another account is not affected
    assert "No case has this reference" in chat.text


async def test_an_urgent_follow_up_marks_the_case_urgent(chat, runtime) -> None:
    ref = await file_helpline_report(chat, "wages late")
    await chat.send(ref)
    await chat.send("Now they threatened to beat me if I complain")
    assert runtime.services.kb.emergency_text("en") in chat.text
    (case,) = await cases_in_db(runtime)
    assert case.urgent


async def test_a_follow_up_on_a_closed_case_reopens_it(chat, runtime) -> None:
    from bot.services import cases

    ref = await file_helpline_report(chat, "wages late")
    async with runtime.db.session() as s:
        case = await cases.find_case(s, runtime.services.secrets, ref)
        cases.close(case, runtime.services.clock())
    await chat.send(ref)
    assert "closed" in chat.text
    await chat.send("It happened again")
    (case,) = await cases_in_db(runtime)
    assert case.status == "waiting" and case.closed_at is None


async def test_staff_replies_reach_the_account_that_last_wrote(chat, runtime) -> None:
    from bot.core.models.cases import StaffUser
    from bot.services import cases

    ref = await file_helpline_report(chat, "wages late")
    second = ChatDriver(runtime, contact="second-phone")
    await second.send(ref)
    await second.send("I use this phone now")
    sender = FakeSender()
    async with runtime.db.session() as s:
        staff = StaffUser(email="a@b.org", role="helpline", password_hash="x")
        s.add(staff)
        await s.flush()
        case = await cases.find_case(s, runtime.services.secrets, ref)
        await cases.staff_reply(s, runtime.services.secrets, case, staff, "We will call you", now=runtime.services.clock())
    await OutboxWorker(runtime.db, runtime.services.secrets, {"terminal": sender}).deliver_due()
    assert sender.texts_to("user-1") == []
    (text,) = sender.texts_to("second-phone")
    assert "We will call you" in text and ref not in text and "H-" in text  # the receipt is not stored to repeat


async def test_questions_about_cases_are_not_taken_for_references(chat, runtime) -> None:
    await chat.send("/lang en")
    await chat.send("case study of remediation")
    assert "No case has this reference" not in chat.text


async def test_after_a_quiet_while_messages_no_longer_go_into_the_case(chat, runtime, clock) -> None:
    from sqlalchemy import func, select

    from bot.core.models.cases import CaseMessage

    ref = await file_helpline_report(chat, "wages late")
    await chat.send(ref)
    await chat.send("one more thing")
    clock.advance(timedelta(hours=3))
    await chat.send("How much is the registration fee?")
    assert "Added to your case" not in chat.text
    async with runtime.db.session() as s:
        count = (await s.execute(select(func.count()).select_from(CaseMessage))).scalar_one()
    assert count == 2


async def test_a_case_filed_on_wechat_continues_on_telegram(runtime) -> None:
    from bot.core.models.cases import StaffUser
    from bot.services import cases

    wechat = ChatDriver(runtime, channel="wechat", contact="oWx-reporter")
    ref = await file_helpline_report(wechat, "dormitory fire exits are locked")
    telegram = ChatDriver(runtime, channel="telegram", contact="42424242")
    await telegram.send(ref)
    await telegram.send("I changed phones, please write here")
    async with runtime.db.session() as s:
        staff = StaffUser(email="a@b.org", role="helpline", password_hash="x")
        s.add(staff)
        await s.flush()
        case = await cases.find_case(s, runtime.services.secrets, ref)
        await cases.staff_reply(s, runtime.services.secrets, case, staff, "Thank you, we saw it", now=runtime.services.clock())
    senders = {"wechat": FakeSender(), "telegram": FakeSender()}
    await OutboxWorker(runtime.db, runtime.services.secrets, senders).deliver_due()
    assert senders["wechat"].sent == []
    assert any("Thank you, we saw it" in text for text in senders["telegram"].texts_to("42424242"))


async def test_a_quiet_follow_up_ends_without_claiming_anything_was_lost(chat, runtime, clock) -> None:
    ref = await file_helpline_report(chat, "no rest day")
    await chat.send(ref)
    await chat.send("and no overtime pay either")
    assert "Added to your case" in chat.text
    clock.advance(timedelta(hours=3))
    await chat.send("what is the registration fee")
    assert "nothing was sent" not in chat.text and "1,500" in chat.text


async def test_a_chinese_case_checked_back_from_another_account_answers_in_chinese(chat, runtime) -> None:
    from bot.core.models.cases import StaffUser
    from bot.services import cases

    await chat.send("/lang zh")
    ref = await file_helpline_report(chat, "五月的工资没有发", notify="check_back")
    async with runtime.db.session() as s:
        staff = StaffUser(email="zh@b.org", role="helpline", password_hash="x")
        s.add(staff)
        await s.flush()
        case = await cases.find_case(s, runtime.services.secrets, ref)
        await cases.staff_reply(s, runtime.services.secrets, case, staff, "我们会联系工厂", now=runtime.services.clock())
    other = ChatDriver(runtime, contact="borrowed-phone")  # never chose a language; the reference has none
    await other.send(ref)
    assert f"案件 {ref}" in other.text and "工作人员的回复" in other.text and "我们会联系工厂" in other.text
    assert "Case " not in other.text and "Answer from staff" not in other.text
    await other.send("ok")  # a word with no language of its own, while writing to the case
    assert "已补充到您的案件" in other.text
    english = ChatDriver(runtime, contact="english-phone")
    await english.send("/lang en")
    await english.send(ref)
    assert f"案件 {ref}" in english.text  # the case's language, whatever the account's
