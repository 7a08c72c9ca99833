""""Did this help?" on the real channels: a button on Telegram, a numbered reply on WeChat; No
puts the question on the staff page's Misanswered list."""
from __future__ import annotations

from sqlalchemy import select

from bot.core.models.insights import UnansweredQuestion
from tests.fakes import telegram as tg
from tests.fakes.fixtures import TELEGRAM_SECRET

from .conftest import runtime_of


async def _misanswered(client) -> list[UnansweredQuestion]:
    runtime = runtime_of(client)
    async with runtime.db.session() as s:
        return list((await s.execute(select(UnansweredQuestion).where(UnansweredQuestion.misanswered))).scalars())


async def test_telegram_shows_yes_no_buttons_and_no_is_recorded(telegram_config, serve, fake_telegram) -> None:
    chat = 5550888
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    async with serve(telegram_config) as client:
        await client.post("/telegram", json=tg.text_update("How much is the registration fee?", chat_id=chat),
                          headers=headers)
        (answer,) = await fake_telegram.wait_for("sendMessage", 1)
        assert "1,500" in answer["text"] and "Did this help?" in answer["text"]
        buttons = [(b["text"], b["callback_data"]) for row in answer["reply_markup"]["inline_keyboard"] for b in row]
        assert buttons == [("1. Yes", "faq:helped"), ("2. No", "faq:not_helped")]
        await client.post("/telegram", json=tg.callback_update("faq:not_helped", chat_id=chat), headers=headers)
        messages = await fake_telegram.wait_for("sendMessage", 2)
        assert "didn't help" in messages[1]["text"]
        (row,) = await _misanswered(client)
        assert row.best_topic == "fees.registration"


async def test_wechat_takes_a_numbered_reply(wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, "oFeedback00000000000000001")
        reply = await user.say("注册费多少")
        assert "1,500" in reply and "这个回答有帮助吗？" in reply and "2. 没帮助" in reply
        sorry = await user.say("2")
        assert "抱歉没能帮到您" in sorry
        (row,) = await _misanswered(client)
        assert row.lang == "zh" and row.best_topic == "fees.registration"
