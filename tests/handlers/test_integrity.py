"""Integrity reports: guided questions, anonymous by default, a receipt code; and the helpdesk
handoff ("talk to staff") that opens a case the same way."""
from sqlalchemy import select

from bot.core.models.cases import CaseMessage
from tests.casekit import cases_in_db, reference_in


async def _body(runtime) -> str:
    async with runtime.db.session() as s:
        (message,) = (await s.execute(select(CaseMessage))).scalars()
    return runtime.services.secrets.decrypt(message.body_enc)


async def test_guided_report_with_a_receipt_code(chat, runtime) -> None:
    await chat.send("/report")
    assert "anonymous" in chat.text and "confidential" in chat.text
    await chat.choose("report:cat:bribery")
    # what happened first (required), then who
    assert "What happened" in chat.text and "report:skip" not in chat.choice_ids
    await chat.send("He asked for 5000 RMB to pass the audit")
    assert "Who was involved" in chat.text and "report:skip" in chat.choice_ids
    await chat.send("The lead auditor of the audit firm")
    assert "When" in chat.text
    await chat.choose("report:skip")
    assert "Where" in chat.text
    await chat.send("In the factory meeting room")
    assert "evidence" in chat.text
    await chat.send("A WeChat message from him")
    await chat.choose("report:done")
    await chat.choose("report:notify:message")
    assert "5000 RMB" in chat.text and "Bribery" in chat.text
    await chat.choose("report:send")
    ref = reference_in(chat.text)
    assert ref.startswith("I-") and "Integrity team" in chat.text

    (case,) = await cases_in_db(runtime)
    assert (case.queue, case.category) == ("integrity", "bribery")
    assert await _body(runtime) == ("What: He asked for 5000 RMB to pass the audit\n\n"
                                    "Who: The lead auditor of the audit firm\n\n"
                                    "Where: In the factory meeting room\n\nEvidence: A WeChat message from him")


async def test_an_anonymous_reporter_who_checks_back_is_linked_to_no_account(chat, runtime) -> None:
    await chat.send("举报")
    assert "匿名" in chat.text
    await chat.choose("report:cat:impostor")
    assert "发生了什么" in chat.text and "report:skip" not in chat.choice_ids
    await chat.send("有人自称审核员，要求工厂付钱")
    assert "涉及哪些人" in chat.text
    for _ in range(4):
        await chat.choose("report:skip")  # who, when, where, evidence
    await chat.choose("report:notify:check_back")
    await chat.choose("report:send")
    assert reference_in(chat.text).startswith("I-")
    (case,) = await cases_in_db(runtime)
    assert case.contact_id is None and case.notify == "check_back" and case.lang == "zh"


async def test_a_report_is_refused_in_a_group(chat, runtime) -> None:
    await chat.send("/report", private=False)
    assert "private chat" in chat.text
    assert await cases_in_db(runtime) == []


async def test_talk_to_staff_opens_a_helpdesk_case(chat, runtime) -> None:
    await chat.send("talk to staff")
    assert "Factory Helpdesk" in chat.text
    await chat.send("Can our audit be moved to next month? Factory F-1234")
    assert "human:send" in chat.choice_ids
    await chat.choose("human:send")
    ref = reference_in(chat.text)
    assert ref.startswith("D-")
    assert runtime.services.kb.facts.contacts.helpdesk.hours in chat.text
    (case,) = await cases_in_db(runtime)
    assert case.queue == "helpdesk" and await _body(runtime) == "Can our audit be moved to next month? Factory F-1234"


async def test_the_faq_handoff_choice_and_chinese_alias(chat, runtime) -> None:
    await chat.choose("human")  # the choice id the FAQ offers when unsure
    assert "Factory Helpdesk" in chat.text
    await chat.send("/cancel")
    await chat.send("人工")
    assert "工厂服务台" in chat.text


async def test_the_review_lets_the_reporter_correct_a_field_before_sending(chat, runtime) -> None:
    await chat.send("/report")
    await chat.choose("report:cat:bribery")
    await chat.send("The auditor asked for money")
    await chat.send("Someone from the canteen")  # who: typed wrong
    for _ in range(3):
        await chat.choose("report:skip")  # when, where, evidence
    await chat.choose("report:notify:message")
    assert {"report:send", "report:change", "cancel"} <= set(chat.choice_ids)
    await chat.choose("report:change")
    assert {"report:fix:category", "report:fix:what", "report:fix:who", "report:fix:notify",
            "report:review"} <= set(chat.choice_ids)
    await chat.choose("report:fix:who")
    assert "Who was involved" in chat.text
    await chat.send("The lead auditor of the audit firm")
    assert "The lead auditor" in chat.text and "canteen" not in chat.text  # back at the review, replaced
    await chat.choose("report:change")
    await chat.choose("report:fix:category")
    await chat.choose("report:cat:impostor")
    assert "report:send" in chat.choice_ids  # straight back to the review
    await chat.choose("report:send")
    assert reference_in(chat.text).startswith("I-")
    (case,) = await cases_in_db(runtime)
    assert case.category == "impostor"
    assert await _body(runtime) == "What: The auditor asked for money\n\nWho: The lead auditor of the audit firm"


async def test_the_review_in_chinese_and_nothing_to_change(chat, runtime) -> None:
    await chat.send("举报")
    await chat.choose("report:cat:auditor")
    await chat.send("审核员态度很差")
    for _ in range(4):
        await chat.choose("report:skip")
    await chat.choose("report:notify:message")
    await chat.choose("report:change")
    assert "您想修改哪一部分" in chat.text
    await chat.choose("report:review")
    assert "发送前请确认" in chat.text and "审核员态度很差" in chat.text
    await chat.choose("report:change")
    await chat.choose("report:fix:notify")
    await chat.choose("report:notify:check_back")
    assert "发送前请确认" in chat.text
    await chat.choose("report:send")
    (case,) = await cases_in_db(runtime)
    assert case.notify == "check_back" and case.lang == "zh"
