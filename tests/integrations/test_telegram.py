"""Telegram end to end: python-telegram-bot's real Bot against the fake Bot API server
(`TELEGRAM_API_BASE`), the webhook secret, duplicates, inline keyboards, 403 and 429."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.commands.platforms import set_webhook
from bot.core.errors import UserError
from bot.core.messages import Choice, Reply
from bot.core.models import Contact, utcnow
from bot.core.models import outbox as st
from integrations import appkeys as K
from integrations import telegram as tgm
from tests.fakes import telegram as tg
from tests.fakes.fixtures import TELEGRAM_SECRET

from .conftest import DialogueSpy, count, outbox_rows, runtime_of

CHAT = 5550001
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}


async def post(client, update: dict, headers: dict | None = None):
    return await client.post("/telegram", json=update, headers=HEADERS if headers is None else headers)


def buttons(message: dict) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def test_webhook_secret_is_required(telegram_config, serve) -> None:
    async with serve(telegram_config) as client:
        update = tg.text_update("/start")
        assert (await post(client, update, headers={})).status == 403
        assert (await post(client, update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})).status == 403
        assert await count(runtime_of(client)) == 0
    async with serve(replace(telegram_config, telegram_webhook_secret=None)) as client:
        assert (await post(client, update)).status == 403  # no secret configured: no webhook


async def test_start_choose_language_with_buttons(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        assert (await post(client, tg.text_update("/start", chat_id=CHAT))).status == 200
        welcome, choose = await fake_telegram.wait_for("sendMessage", 2)
        assert "Welcome" in welcome["text"] and buttons(welcome) == []
        assert buttons(choose) == [("1. English", "lang:en"), ("2. 中文", "lang:zh")]
        assert str(choose["chat_id"]) == str(CHAT)

        assert (await post(client, tg.callback_update("lang:zh", chat_id=CHAT))).status == 200
        messages = await fake_telegram.wait_for("sendMessage", 4)
        assert "已切换为中文" in messages[2]["text"]
        assert [d for _, d in buttons(messages[3])] == ["faq", "status", "helpline", "report", "human", "lang"]
        assert len(fake_telegram.calls_to("answerCallbackQuery")) == 1

        await post(client, tg.text_update("1", chat_id=CHAT))  # typing the number works too
        messages = await fake_telegram.wait_for("sendMessage", 5)
        assert buttons(messages[4])  # the FAQ topics


async def test_redelivered_updates_are_ignored(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        spy = DialogueSpy(runtime_of(client))
        update = tg.text_update("/help", chat_id=CHAT, update_id=424242)
        for _ in range(3):
            assert (await post(client, update)).status == 200
        await fake_telegram.wait_for("sendMessage", 1)
        await asyncio.sleep(0.2)
        assert spy.runs == 1 and len(fake_telegram.calls_to("sendMessage")) == 1
        assert await count(runtime_of(client)) == 1


async def test_a_blocked_bot_is_recorded_not_retried(telegram_config, serve, fake_telegram) -> None:
    fake_telegram.forbid("sendMessage")
    async with serve(telegram_config) as client:
        await post(client, tg.text_update("/help", chat_id=CHAT))
        await fake_telegram.wait_for("sendMessage", 1)
        await asyncio.sleep(0.2)
        runtime = runtime_of(client)
        (row,) = await outbox_rows(runtime)
        assert row.status == st.FAILED and "blocked" in row.last_error
        async with runtime.db.session() as s:
            assert (await s.execute(select(Contact.blocked))).scalar_one() is True
        await client.app[K.OUTBOX].deliver_due(now=utcnow() + timedelta(days=1))
        assert len(fake_telegram.calls_to("sendMessage")) == 1


async def test_flood_limit_is_retried_after_telegrams_delay(telegram_config, serve, fake_telegram) -> None:
    fake_telegram.flood("sendMessage", retry_after=7)
    async with serve(telegram_config) as client:
        await post(client, tg.text_update("/help", chat_id=CHAT))
        await fake_telegram.wait_for("sendMessage", 1)
        await asyncio.sleep(0.2)
        runtime = runtime_of(client)
        (row,) = await outbox_rows(runtime)
        assert row.status == st.PENDING and row.next_attempt_at > utcnow() + timedelta(seconds=5)
        assert fake_telegram.messages_to(CHAT) == []
        await client.app[K.OUTBOX].deliver_due(now=utcnow() + timedelta(seconds=8))
        (message,) = fake_telegram.messages_to(CHAT)
        assert "Factory Helpdesk" in message["text"]
        assert (await outbox_rows(runtime))[0].status == st.SENT


async def test_long_replies_are_split_with_buttons_on_the_last_part(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        spy = DialogueSpy(runtime_of(client))
        spy.replace_with = [Reply(("word " * 1900).strip(), (Choice("menu", "Menu"),))]  # 9,499 characters
        await post(client, tg.text_update("hello", chat_id=CHAT))
        parts = await fake_telegram.wait_for("sendMessage", 3)
        assert all(len(p["text"]) <= 4096 for p in parts)
        assert " ".join(p["text"] for p in parts) == ("word " * 1900).strip()
        assert [buttons(p) for p in parts] == [[], [], [("1. Menu", "menu")]]


async def test_long_choice_ids_fit_callback_data(telegram_config, serve, fake_telegram) -> None:
    long_id = "faq:" + "x" * 80
    async with serve(telegram_config) as client:
        spy = DialogueSpy(runtime_of(client))
        spy.replace_with = [Reply("pick", (Choice(long_id, "Long"),))]
        await post(client, tg.text_update("hello", chat_id=CHAT))
        (message,) = await fake_telegram.wait_for("sendMessage", 1)
        ((_, data),) = buttons(message)
        assert len(data.encode()) <= 64
        spy.replace_with = None
        await post(client, tg.callback_update(data, chat_id=CHAT))
        await fake_telegram.wait_for("sendMessage", 2)
        assert spy.incoming[-1].kind == "choice" and spy.incoming[-1].text == long_id


async def test_group_chats_and_media(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        spy = DialogueSpy(runtime_of(client))
        await post(client, tg.text_update("/menu", chat_id=-100777, chat_type="supergroup"))
        await post(client, tg.media_update("photo", chat_id=CHAT))
        await post(client, tg.media_update("voice", chat_id=CHAT))
        await post(client, tg.media_update("location", chat_id=CHAT))
        await fake_telegram.wait_for("sendMessage", 4)
        assert [(i.private, i.kind) for i in spy.incoming] == [
            (False, "text"), (True, "image"), (True, "voice"), (True, "location")]
        assert fake_telegram.messages_to(-100777)


async def test_blocking_the_bot_is_recorded(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        await post(client, tg.text_update("/help", chat_id=CHAT))
        assert (await post(client, tg.blocked_update(CHAT))).status == 200
        async with runtime_of(client).db.session() as s:
            assert (await s.execute(select(Contact.blocked))).scalar_one() is True


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"update_id": "x"}', b'{"update_id": 5, "message": 7}'])
async def test_malformed_updates_are_400(telegram_config, serve, body: bytes) -> None:
    async with serve(telegram_config) as client:
        resp = await client.post("/telegram", data=body, headers=HEADERS)
        assert resp.status == 400


async def test_oversized_updates_are_413(telegram_config, serve) -> None:
    async with serve(replace(telegram_config, max_body_bytes=2048)) as client:
        resp = await post(client, tg.text_update("x" * 4000))
        assert resp.status == 413


async def test_polling_stores_each_update_and_only_one_process_polls(telegram_config, serve, fake_telegram) -> None:
    fake_telegram.push_update(tg.text_update("/help", chat_id=CHAT))
    async with serve(telegram_config, telegram_polling=True):
        assert fake_telegram.calls_to("deleteWebhook")
        (message,) = await fake_telegram.wait_for("sendMessage", 1)
        assert "Factory Helpdesk" in message["text"]
        with pytest.raises(UserError, match="already polling"):
            async with serve(telegram_config, telegram_polling=True):
                pass
        fake_telegram.push_update(tg.text_update("/menu", chat_id=CHAT))
        await fake_telegram.wait_for("sendMessage", 2)
    async with serve(telegram_config, telegram_polling=True):  # the lease was released at stop
        await asyncio.sleep(0.1)
    assert len(fake_telegram.calls_to("sendMessage")) == 2


async def test_set_webhook_command_registers_secret_and_commands(telegram_config, fake_telegram) -> None:
    await set_webhook(telegram_config, "https://bot.example.org/telegram")
    (hook,) = fake_telegram.calls_to("setWebhook")
    assert hook["url"] == "https://bot.example.org/telegram" and hook["secret_token"] == TELEGRAM_SECRET
    en, zh = fake_telegram.calls_to("setMyCommands")
    names = [c["command"] for c in en["commands"]]
    assert {"start", "help", "menu", "lang", "status", "helpline", "report", "human", "cancel"} <= set(names)
    assert zh["language_code"] == "zh" and "主菜单" in [c["description"] for c in zh["commands"]]


def test_set_webhook_cli_refuses_without_secret(monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", tg.TOKEN)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    assert main(["telegram", "set-webhook", "https://bot.example.org/telegram"]) == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s" * 20)
    assert main(["telegram", "set-webhook", "https://bot.example.org/hook"]) == 2
    assert tgm.CHANNEL == "telegram"
