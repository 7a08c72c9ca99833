"""Workers first: urgent words and a worker's own questions reach the Worker Helpline, not the
factory helpdesk; a worker's words never reach the staff's Unanswered-questions page."""
import pytest
from sqlalchemy import select

from bot.core.models.cases import CaseMessage
from bot.core.models.insights import UnansweredQuestion
from tests.casekit import cases_in_db, file_helpline_report, message_text, reference_in
from tests.conftest import ChatDriver

HELPLINE_PHONE = "4001-583580"  # ../shared/seeds/factory-welcome-pack.txt, Worker Helpline
HELPDESK_PHONE = "2111"  # the factory helpdesk's number (+852-21112462) must not be offered


async def unanswered(runtime) -> list[str]:
    async with runtime.db.session() as s:
        rows = (await s.execute(select(UnansweredQuestion))).scalars().all()
    return [runtime.services.secrets.decrypt(r.text_enc) for r in rows]


@pytest.mark.parametrize("text, lang, words", [
    ("组长打我，我想死", "zh", ["110", "9:00-21:00", "春节", "紧急"]),
    ("my supervisor hit me", "en", ["110", "9:00-21:00", "Chinese New Year", "urgent"]),
])
async def test_urgent_words_offer_the_worker_helpline_and_open_an_urgent_case_in_one_step(
        chat: ChatDriver, runtime, text, lang, words) -> None:
    await chat.send(f"/lang {lang}")
    await chat.send(text)
    assert HELPLINE_PHONE in chat.text and all(w in chat.text for w in words), chat.text
    assert chat.choice_ids == ["helpline:urgent"]  # the helpline first; no helpdesk handoff
    assert "human" not in chat.choice_ids and HELPDESK_PHONE not in chat.text
    await chat.send("1")  # the one choice, typed as its number
    ref = reference_in(chat.text)
    assert ref.startswith("H-")
    (case,) = await cases_in_db(runtime)
    assert (case.queue, case.urgent, case.status) == ("helpline", True, "waiting")
    async with runtime.db.session() as s:
        (message,) = (await s.execute(select(CaseMessage))).scalars()
    assert await message_text(runtime, message) == text
    assert await unanswered(runtime) == []


async def test_words_written_after_the_urgent_offer_go_with_the_case(chat: ChatDriver, runtime) -> None:
    await chat.send("/lang en")
    await chat.send("my supervisor hit me")
    await chat.send("it was on the moulding line this morning")
    assert chat.choice_ids == ["helpline:urgent"]
    await chat.choose("helpline:urgent")
    (case,) = await cases_in_db(runtime)
    async with runtime.db.session() as s:
        (message,) = (await s.execute(select(CaseMessage))).scalars()
    assert await message_text(runtime, message) == (
        "my supervisor hit me\n\nit was on the moulding line this morning")
    assert case.urgent


async def test_urgent_offer_without_choosing_it_sends_nothing(chat: ChatDriver, runtime) -> None:
    await chat.send("/lang zh")
    await chat.send("组长打我，我想死")
    await chat.send("/menu")
    assert await cases_in_db(runtime) == []


async def test_urgent_words_in_a_group_chat_give_the_number_but_keep_no_draft(runtime) -> None:
    group = ChatDriver(runtime)
    group.contact = "group-1"
    await group.send("/lang en")
    from bot.core.messages import Incoming

    incoming = Incoming("terminal", "group-1", "g-1", kind="text", text="my supervisor hit me",
                        received_at=runtime.services.clock(), private=False)
    async with runtime.db.session() as session:
        group.replies = await runtime.dialogue.handle(session, incoming)
    assert HELPLINE_PHONE in group.text and "/helpline" in group.text
    assert group.choice_ids == []


@pytest.mark.parametrize("text", [
    "我们厂加班费一直没给，我可以找谁",
    "老板不给我们签劳动合同怎么办",
    "我每天上班12个小时，一个月只休息一天",
    "组长天天骂我们",
    "宿舍太脏了，没人管",
    "我生病了，组长不让我请假",
    "我很想家，心情不好",
    "我們廠加班費一直沒給",  # Traditional
    "我们厂发工资总是拖",
    "最近压力很大，睡不着",
    "厂里不给我们买社保，怎么办",  # social insurance is declined by the engine; a worker wrote it
])
async def test_a_workers_own_question_in_chinese_gets_the_helpline(chat: ChatDriver, runtime, text) -> None:
    await chat.send(text)
    assert HELPLINE_PHONE in chat.text and "9:00-21:00" in chat.text
    assert "保密" in chat.text  # confidential (the same in both scripts)
    assert HELPDESK_PHONE not in chat.text and "不符合" not in chat.text and "审核" not in chat.text
    assert chat.choice_ids == ["helpline"]
    await chat.choose("helpline")  # the in-chat helpline flow starts
    assert "helpline:cat:wages" in chat.choice_ids
    assert await unanswered(runtime) == []


@pytest.mark.parametrize("text", [
    "my boss doesn't pay overtime, who can I talk to",
    "my supervisor yells at us every day",
    "we work 14 hours and get no day off",
    "our dorm is dirty and nobody fixes anything",
    "I am sick and my manager won't let me rest",
    "I feel so homesick and sad",
    "no labour contract, my boss refused to give me one",
    "my salary is always late and sometimes cut",
])
async def test_a_workers_own_question_in_english_gets_the_helpline(chat: ChatDriver, runtime, text) -> None:
    await chat.send("/lang en")
    await chat.send(text)
    assert HELPLINE_PHONE in chat.text and "9:00-21:00" in chat.text and "confidential" in chat.text
    assert HELPDESK_PHONE not in chat.text and "non-compliance" not in chat.text.lower()
    assert chat.choice_ids == ["helpline"]
    assert await unanswered(runtime) == []


@pytest.mark.parametrize("text, expected", [
    ("what is the audit standard on wages", "wages"),
    ("is late wage payment a major or critical non-compliance", "Critical"),
    ("拖欠工资是什么等级的不符合项", "严重"),
    ("工人没有合同副本是主要问题吗", "主要"),
])
async def test_factory_questions_on_the_same_subjects_keep_their_factory_answers(
        chat: ChatDriver, text, expected) -> None:
    await chat.send(text)
    assert expected in chat.text
    assert "helpline" not in chat.choice_ids


async def test_a_complaint_the_knowledge_base_declines_still_gets_the_helpline_and_is_not_kept(
        chat: ChatDriver, runtime) -> None:
    # labour arbitration is another body's business (declined by the engine), but a worker wrote it
    await chat.send("我想辞职 老板不给工资怎么办 劳动仲裁怎么申请")
    assert HELPLINE_PHONE in chat.text and HELPDESK_PHONE not in chat.text
    assert chat.choice_ids == ["helpline"]
    assert await unanswered(runtime) == []


async def test_reporter_text_never_reaches_the_unanswered_page(chat: ChatDriver, runtime) -> None:
    await chat.send("/lang en")
    await chat.send("can you recommend a good restaurant near the factory")  # kept: a real gap
    await chat.send("someone is in danger at the gate")  # urgent words
    await chat.send("/menu")
    await file_helpline_report(chat, "No overtime pay for three months")
    # the reporter writes again without the reference: words staff must never see on that page
    await chat.send("Any news about what I sent about the moulding line?")
    assert await unanswered(runtime) == ["can you recommend a good restaurant near the factory"]


async def test_asking_for_the_helpline_offers_the_in_chat_flow(chat: ChatDriver) -> None:
    await chat.send("/lang en")
    await chat.send("worker helpline phone number")
    assert HELPLINE_PHONE in chat.text and chat.choice_ids == ["helpline"]


@pytest.mark.parametrize("lang, again", [
    ("en", "Any news about what I sent about the moulding line?"),
    ("zh", "有人回复我了吗？我上次说的那件事"),
])
async def test_a_check_back_reporter_writing_again_without_the_reference_is_asked_for_it_and_not_kept(
        chat: ChatDriver, runtime, lang, again) -> None:
    await chat.send(f"/lang {lang}")
    await file_helpline_report(chat, "No overtime pay for three months", notify="check_back")
    (case,) = await cases_in_db(runtime)
    assert case.contact_enc is None  # checking back: nothing links the case to this account
    # the same worker later, from another phone, without the reference
    other = ChatDriver(runtime, contact="second-phone")
    await other.send(f"/lang {lang}")
    await other.send(again)
    assert ("case reference" if lang == "en" else "案件编号") in other.text
    await chat.send(again)
    assert await unanswered(runtime) == []


@pytest.mark.parametrize("lang, text, hint", [
    ("en", "my boss doesn't pay our overtime and shouts at us", "Worker Helpline"),
    ("zh", "组长打我，我不敢去上班", "工人热线"),
])
async def test_a_workers_words_on_their_way_to_the_helpdesk_can_go_to_the_helpline_instead(
        chat: ChatDriver, runtime, lang, text, hint) -> None:
    await chat.send(f"/lang {lang}")
    await chat.choose("human")
    await chat.send(text)
    assert hint in chat.text and HELPLINE_PHONE in chat.text
    assert chat.choice_ids[0] == "human:to_helpline" and "human:send" in chat.choice_ids
    await chat.choose("human:to_helpline")
    (case,) = await cases_in_db(runtime)
    assert case.queue == "helpline"
    assert reference_in(chat.text).startswith("H-")


async def test_a_factory_question_to_the_helpdesk_is_not_offered_the_helpline(chat: ChatDriver, runtime) -> None:
    await chat.send("/lang en")
    await chat.choose("human")
    await chat.send("Can our audit be moved to next month? Factory F-1234")
    assert "human:to_helpline" not in chat.choice_ids
    await chat.choose("human:send")
    (case,) = await cases_in_db(runtime)
    assert case.queue == "helpdesk"
