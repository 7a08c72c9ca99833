""""Did this help?" after an FAQ answer: No records the question as Misanswered (with the topic and
the answer given) for the staff Questions page and offers a person; never for helpline, urgent or
reporters' words, and never inside a case flow."""
from sqlalchemy import select

from bot.core.models.insights import UnansweredQuestion
from tests.casekit import file_helpline_report
from tests.conftest import ChatDriver


async def _rows(runtime) -> list[UnansweredQuestion]:
    async with runtime.db.session() as s:
        return list((await s.execute(select(UnansweredQuestion))).scalars())


async def test_no_records_a_misanswered_question_and_offers_a_person(chat, runtime) -> None:
    await chat.send("How much is the registration fee?")
    assert "1,500" in chat.text and "Did this help?" in chat.text
    assert chat.choice_ids[:2] == ["faq:helped", "faq:not_helped"]
    await chat.send("No")  # the short reply word (a button on Telegram)
    assert "didn't help" in chat.text and "human" in chat.choice_ids
    (row,) = await _rows(runtime)
    assert row.misanswered and row.best_topic == "fees.registration" and row.lang == "en"
    secrets = runtime.services.secrets
    assert "registration" not in row.text_enc and secrets.decrypt(row.text_enc) == "How much is the registration fee?"
    assert "1,500" in secrets.decrypt(row.answer_enc)


async def test_yes_thanks_and_records_nothing(chat, runtime) -> None:
    await chat.send("审核费多少钱一个人日")
    assert "这个回答有帮助吗？" in chat.text
    await chat.send("有帮助")
    assert "很高兴" in chat.text and await _rows(runtime) == []


async def test_chinese_no_by_number_keeps_the_language(chat, runtime) -> None:
    await chat.send("注册费多少")
    await chat.send("2")  # the second choice: 没帮助
    assert "抱歉没能帮到您" in chat.text
    (row,) = await _rows(runtime)
    assert row.misanswered and row.lang == "zh" and row.best_topic == "fees.registration"


async def test_not_asked_after_the_helpline_the_emergency_guidance_or_an_unsure_answer(chat, runtime) -> None:
    await chat.send("How do I bake bread with a dragon?")  # not sure: recorded as unanswered instead
    assert "faq:not_helped" not in chat.choice_ids
    await chat.send("我们厂加班费一直没给，我可以找谁")  # a worker's own question: the helpline
    assert "4001-583580" in chat.text and "faq:not_helped" not in chat.choice_ids
    await chat.send("组长打我，我想死")  # the emergency guidance, then the helpline first
    assert "faq:not_helped" not in chat.choice_ids and "helpline:urgent" in chat.choice_ids
    rows = await _rows(runtime)
    assert [r.misanswered for r in rows] == [False]


async def test_not_inside_a_case_flow(chat, runtime) -> None:
    await chat.send("/helpline")
    await chat.choose("helpline:cat:wages")
    await chat.send("How much is the registration fee?")  # the worker's words, kept for the report
    assert "faq:not_helped" not in chat.choice_ids and "Did this help?" not in chat.text


async def test_a_reporter_saying_no_is_not_recorded(runtime) -> None:
    worker = ChatDriver(runtime, contact="worker-1")
    await file_helpline_report(worker, "No overtime pay since March")
    await worker.send("How much is the registration fee?")
    await worker.send("No")
    assert "didn't help" in worker.text and "human" in worker.choice_ids
    assert await _rows(runtime) == []


async def test_no_is_about_the_last_answer_only(chat, runtime) -> None:
    await chat.send("How much is the registration fee?")
    await chat.send("How do I bake bread with a dragon?")  # not sure: no "Did this help?"
    await chat.choose("faq:not_helped")  # an old button pressed later
    rows = await _rows(runtime)
    assert [r.misanswered for r in rows] == [False]  # only the unanswered dragon question


async def test_an_old_no_is_not_recorded_after_hours(chat, runtime, clock) -> None:
    from datetime import timedelta

    await chat.send("How much is the registration fee?")
    clock.advance(timedelta(hours=7))
    await chat.send("No")
    assert "didn't help" in chat.text and await _rows(runtime) == []
