"""Workers first on the real channels: urgent words typed on WeChat and Telegram get the emergency
guidance and the Worker Helpline first, and its one choice opens an urgent helpline case."""
from __future__ import annotations

from tests.casekit import cases_in_db, reference_in
from tests.fakes import telegram as tg
from tests.fakes.fixtures import TELEGRAM_SECRET

from .conftest import runtime_of

HELPLINE_PHONE = "4001-583580"
OPENID = "oWorkerFirst000000000000001"


async def test_urgent_words_on_wechat_offer_the_helpline_and_open_an_urgent_case(
        wechat_config, serve, wechat_user) -> None:
    async with serve(wechat_config) as client:
        user = wechat_user(client, OPENID)
        await user.say("/lang zh")
        reply = await user.say("组长打我，我想死")
        assert "110" in reply and HELPLINE_PHONE in reply and "9:00-21:00" in reply
        assert "1. 立即发送给工人热线（紧急）" in reply and "人工客服" not in reply
        created = await user.say("1")
        assert reference_in(created).startswith("H-") and "紧急" in created
        (case,) = await cases_in_db(runtime_of(client))
        assert (case.queue, case.urgent) == ("helpline", True)


async def test_urgent_words_on_telegram_offer_the_helpline_button(telegram_config, serve, fake_telegram) -> None:
    chat = 5550777
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    async with serve(telegram_config) as client:
        await client.post("/telegram", json=tg.text_update("/lang en", chat_id=chat), headers=headers)
        await fake_telegram.wait_for("sendMessage", 2)
        await client.post("/telegram", json=tg.text_update("my supervisor hit me", chat_id=chat), headers=headers)
        messages = await fake_telegram.wait_for("sendMessage", 4)
        offer = messages[3]
        assert "110" in messages[2]["text"] and HELPLINE_PHONE in offer["text"]
        data = [b["callback_data"] for row in offer["reply_markup"]["inline_keyboard"] for b in row]
        assert data == ["helpline:urgent"]
        await client.post("/telegram", json=tg.callback_update("helpline:urgent", chat_id=chat), headers=headers)
        messages = await fake_telegram.wait_for("sendMessage", 6)
        assert reference_in("\n".join(m["text"] for m in messages[4:])).startswith("H-")
        (case,) = await cases_in_db(runtime_of(client))
        assert (case.queue, case.urgent) == ("helpline", True)
