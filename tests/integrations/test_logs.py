"""Logs never contain a chat identifier, a username or message text: only keyed hashes and kinds."""
from __future__ import annotations

import asyncio
import logging

from bot.core.logs import QUIET_LOGGERS, JsonFormatter
from tests.fakes import telegram as tg
from tests.fakes.fixtures import TELEGRAM_SECRET

OPENID = "oLOGSECRETOPENID0000000042"
CHAT = 987654321
WORDS = "My supervisor keeps our passports 7731"


async def test_no_identifier_or_text_in_any_log_record(channels_config, serve, wechat_user, fake_telegram,
                                                       fake_wechat, caplog) -> None:
    previous = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name in QUIET_LOGGERS:  # as `etp-bot serve` sets them (the bot token is in httpx's URLs)
        logging.getLogger(name).setLevel(logging.WARNING)
    caplog.set_level(logging.DEBUG)
    try:
        async with serve(channels_config) as client:
            user = wechat_user(client, OPENID)
            await user.say("/start")
            await user.say(WORDS)
            await user.deliver(user.platform.event(OPENID, "CLICK", "HELP"))
            bad = await client.post("/wechat", params={"openid": OPENID, "signature": "x"}, data=b"<xml/>")
            assert bad.status == 403
            fake_telegram.forbid("sendMessage")
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            await client.post("/telegram", json=tg.text_update("/start", chat_id=CHAT), headers=headers)
            await client.post("/telegram", json=tg.text_update(WORDS, chat_id=CHAT), headers=headers)
            await fake_telegram.wait_for("sendMessage", 2)
            await asyncio.sleep(0.2)
    finally:
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)

    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    assert any('"kind": "text"' in line and '"contact": ' in line for line in lines)  # it does log, safely
    forbidden = [OPENID, str(CHAT), f"user{CHAT}", "passports", fake_telegram.token, "ACCESS_TOKEN_"]
    leaks = [(word, line) for line in lines for word in forbidden if word in line]
    assert leaks == []
