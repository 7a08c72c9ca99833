"""Telegram end to end: python-telegram-bot's real Bot against the fake Bot API server
(`TELEGRAM_API_BASE`), the webhook secret, duplicates, inline keyboards, 403 and 429."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.errors import UserError
from bot.core.messages import Choice, Reply
from bot.core.models import Contact, utcnow
from bot.core.models import outbox as st
from integrations import appkeys as K
from integrations.telegram import api as tgm_api
from integrations.telegram import receive as tgm
from tests.fakes import telegram as tg
from tests.fakes.fixtures import TELEGRAM_SECRET

from .conftest import DialogueSpy, count, no_errors, outbox_rows, runtime_of, settled

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
    question = "How much is the registration fee for a factory, and who pays it? Please tell me."
    long_id = "faq:" + question  # more than Telegram's 64 bytes: the button carries its digest
    async with serve(telegram_config) as client:
        spy = DialogueSpy(runtime_of(client))
        spy.replace_with = [Reply("pick", (Choice(long_id, "Long"),))]
        await post(client, tg.text_update("hello", chat_id=CHAT))
        (message,) = await fake_telegram.wait_for("sendMessage", 1)
        ((_, data),) = buttons(message)
        assert len(data.encode()) <= 64 and data != long_id
        spy.replace_with = None
        await post(client, tg.callback_update(data, chat_id=CHAT))
        pressed = (await fake_telegram.wait_for("sendMessage", 2))[-1]["text"]
        await post(client, tg.text_update(question, chat_id=CHAT))
        typed = (await fake_telegram.wait_for("sendMessage", 3))[-1]["text"]
        # the dialogue resolved the digest to the choice it offered: the same answer as typing it
        assert pressed == typed and "fee" in pressed.lower()
        assert spy.incoming[1].kind == "choice" and spy.incoming[1].text == data  # the channel passes it on as is


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
        await fake_telegram.wait_for("deleteWebhook")  # once Telegram is reached, in the background
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
    await tgm_api.register_webhook(telegram_config, "https://bot.example.org/telegram")
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


# -- the edge: what Telegram really sends -------------------------------------------------------------
GROUP, FORUM = -1001234567, -1009876543
FEE = "US$1,500"


async def post_all(client, updates) -> None:
    for update in updates:
        resp = await post(client, update)
        assert resp.status == 200, (update, resp.status, await resp.text())
    await settled(client)


def texts(fake_telegram, chat_id) -> list[str]:
    return [m["text"] for m in fake_telegram.messages_to(chat_id)]


def topic(message: dict) -> int | None:
    return int(message["message_thread_id"]) if "message_thread_id" in message else None


async def test_group_service_messages_get_no_reply(telegram_config, serve, fake_telegram, caplog) -> None:
    async with serve(telegram_config) as client:
        await post_all(client, [tg.service_update(name, chat_id=GROUP) for name in tg.SERVICE_MESSAGES])
        await post_all(client, [tg.service_update(name, chat_id=-54321, chat_type="group")
                                for name in ("new_members", "bot_added", "left_member", "group_created", "migrated_to")])
        # the bot added to a group: its membership changes, and nothing is said
        await post_all(client, [tg.blocked_update(GROUP, status="member", chat_type="supergroup"),
                                tg.blocked_update(GROUP, status="administrator", chat_type="supergroup")])
        assert fake_telegram.calls_to("sendMessage") == []
        assert await count(runtime_of(client)) == 0  # not even stored
        await post_all(client, [tg.text_update("/help", chat_id=GROUP, chat_type="supergroup")])
        assert len(fake_telegram.messages_to(GROUP)) == 1  # the group is answered when someone writes
        no_errors(caplog)


async def test_another_bots_command_is_ignored(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        await fake_telegram.wait_for("getMe")
        await asyncio.wait_for(client.app[tgm.TELEGRAM].connected.wait(), 5)
        group = lambda text: tg.text_update(text, chat_id=GROUP, chat_type="supergroup")  # noqa: E731
        await post_all(client, [group("/help@other_bot"), group("/start@SomeOtherBot hello"),
                                tg.media_update("photo", chat_id=GROUP, chat_type="supergroup",
                                                caption="/help@other_bot"),
                                tg.text_update("/help@other_bot", chat_id=CHAT)])
        assert fake_telegram.calls_to("sendMessage") == []
        await post_all(client, [group("/help@etp_test_bot")])
        (answer,) = texts(fake_telegram, GROUP)
        assert "Factory Helpdesk" in answer
        await post_all(client, [group("/help@ETP_Test_Bot")])  # usernames are not case-sensitive
        assert len(texts(fake_telegram, GROUP)) == 2


async def test_captions_are_read_as_text(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        await post_all(client, [tg.media_update("photo", chat_id=CHAT, caption="How much is the registration fee?")])
        (answer,) = texts(fake_telegram, CHAT)
        assert FEE in answer
        await post_all(client, [tg.media_update("document", chat_id=CHAT, caption="How much is the registration fee?")])
        assert FEE in texts(fake_telegram, CHAT)[1]
        await post_all(client, [tg.media_update("photo", chat_id=GROUP, chat_type="supergroup",
                                                caption="How much is the registration fee?")])
        assert FEE in texts(fake_telegram, GROUP)[0]
        await post_all(client, [tg.media_update("photo", chat_id=CHAT, caption="注册费是多少？")])
        assert "1,500" in texts(fake_telegram, CHAT)[2] and "注册" in texts(fake_telegram, CHAT)[2]


async def test_an_album_is_answered_once(telegram_config, serve, fake_telegram) -> None:
    album = lambda n, caption=None, group="13579", kind="photo": tg.media_update(  # noqa: E731
        kind, chat_id=CHAT, media_group_id=group, file_id=f"f{group}{n}", caption=caption)
    async with serve(telegram_config) as client:
        await post_all(client, [album(1, "How much is the registration fee?"), album(2), album(3)])
        (answer,) = texts(fake_telegram, CHAT)
        assert FEE in answer
        await post_all(client, [album(n, group="24680", kind="image") for n in range(1, 11)])  # ten files
        assert len(texts(fake_telegram, CHAT)) == 2  # one "I can only read text"


async def test_an_albums_photos_and_caption_go_into_the_report(telegram_config, serve, fake_telegram) -> None:
    from bot.core.models.cases import CaseMessage

    async with serve(telegram_config) as client:
        await post_all(client, [tg.text_update("/helpline", chat_id=CHAT),
                                tg.callback_update("helpline:cat:wages", chat_id=CHAT)])
        sent = len(texts(fake_telegram, CHAT))
        await post_all(client, [tg.media_update("photo", chat_id=CHAT, media_group_id="555", file_id=f"w{n}",
                                                caption="Our wages are three months late" if n == 1 else None)
                                for n in (1, 2, 3)])
        assert len(texts(fake_telegram, CHAT)) == sent + 2  # "photo received" and "add more", once
        await post_all(client, [tg.callback_update("helpline:done", chat_id=CHAT),
                                tg.callback_update("helpline:notify:message", chat_id=CHAT)])
        assert "Our wages are three months late" in texts(fake_telegram, CHAT)[-1]  # the confirmation's preview
        await post_all(client, [tg.callback_update("helpline:send", chat_id=CHAT)])
        runtime = runtime_of(client)
        async with runtime.db.session() as s:
            (message,) = (await s.execute(select(CaseMessage))).scalars()
            attachments = runtime.services.secrets.decrypt_json(message.attachments_enc)
        assert [a["file_id"] for a in attachments] == ["w1", "w2", "w3"]


async def test_forum_topic_replies_stay_in_their_topic(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        await post_all(client, [tg.text_update("/help", chat_id=FORUM, chat_type="forum", thread_id=77)])
        await post_all(client, [tg.text_update("/menu", chat_id=FORUM, chat_type="forum", thread_id=78)])
        await post_all(client, [tg.callback_update("faq", chat_id=FORUM, chat_type="forum", thread_id=78)])
        await post_all(client, [tg.media_update("photo", chat_id=FORUM, chat_type="forum", thread_id=79,
                                                caption="How much is the registration fee?")])
        await post_all(client, [tg.text_update("/help", chat_id=FORUM, chat_type="forum")])  # General
        threads = [topic(m) for m in fake_telegram.messages_to(FORUM)]
        assert threads == [77, 78, 78, 79, None]
        # a reply thread in an ordinary group has an id too, but no topic to post in
        plain = tg.text_update("/help", chat_id=GROUP, chat_type="supergroup")
        plain["message"]["message_thread_id"] = 12
        await post_all(client, [plain])
        assert topic(fake_telegram.messages_to(GROUP)[0]) is None


async def _later(client, chat_id: int, text: str) -> None:
    """A message that is not a reply (a staff reply, a reminder): queued for the chat's contact."""
    from bot.services.contacts import find_contact
    from bot.services.outbox import enqueue

    runtime = runtime_of(client)
    async with runtime.db.session() as s:
        contact = await find_contact(s, runtime.services.secrets, "telegram", str(chat_id))
        await enqueue(s, runtime.services.secrets, channel="telegram", replies=[Reply(text)], kind="staff_reply",
                      contact_id=contact.id)
    client.app[K.OUTBOX].notify()
    await settled(client)


async def test_later_messages_go_to_the_topic_the_group_last_wrote_from(telegram_config, serve, fake_telegram) -> None:
    from bot.services.contacts import find_contact
    from bot.services.keys import REHASH

    async with serve(telegram_config) as client:
        runtime = runtime_of(client)
        await post_all(client, [tg.text_update("/help", chat_id=FORUM, chat_type="forum", thread_id=77)])
        await _later(client, FORUM, "staff answer one")
        await post_all(client, [tg.callback_update("faq", chat_id=FORUM, chat_type="forum", thread_id=81)])
        await _later(client, FORUM, "staff answer two")
        await post_all(client, [tg.text_update("/help", chat_id=FORUM, chat_type="forum")])  # General
        await _later(client, FORUM, "staff answer three")
        later = {m["text"]: topic(m) for m in fake_telegram.messages_to(FORUM) if m["text"].startswith("staff")}
        assert later == {"staff answer one": 77, "staff answer two": 81, "staff answer three": None}
        await post_all(client, [tg.text_update("/help", chat_id=FORUM, chat_type="forum", thread_id=90)])
        secrets = runtime.services.secrets
        async with runtime.db.session() as s:  # one contact for the chat, whatever the topic
            contact = await find_contact(s, secrets, "telegram", str(FORUM))
            columns, rehash = REHASH["contacts"]
            row = {c: getattr(contact, c) for c in columns}
            assert rehash(secrets, row)["key_hash"] == contact.key_hash  # keys rotate: the same identity
            assert str(FORUM) not in contact.platform_id_enc


async def test_an_album_counts_once_against_the_rate_limit(telegram_config, serve, fake_telegram) -> None:
    async with serve(telegram_config) as client:
        await post_all(client, [tg.text_update(f"/help {n}", chat_id=CHAT) for n in range(15)])
        await post_all(client, [tg.media_update("photo", chat_id=CHAT, media_group_id="777", file_id=f"a{n}",
                                                caption="How much is the registration fee?" if n == 0 else None)
                                for n in range(10)])  # an album of ten: the 16th message, not the 16th to 25th
        await post_all(client, [tg.text_update("How much is the registration fee?", chat_id=CHAT)])
        answers = texts(fake_telegram, CHAT)
        assert FEE in answers[-1] and FEE in answers[-2]  # the album's answer, then the question's
        assert not any("faster than I can answer" in a for a in answers)  # never rate-limited


async def test_a_topic_reply_recovered_after_a_crash_stays_in_its_topic(telegram_config, serve, fake_telegram) -> None:
    update = tg.text_update("/help", chat_id=FORUM, chat_type="forum", thread_id=91)
    async with serve(telegram_config) as client:  # stored, then the process died before processing
        channel = client.app[tgm.TELEGRAM]
        incoming = tgm.message_incoming(tgm.Update.de_json(update, channel.bot))
        await channel.inbox.store(str(update["update_id"]), incoming)
    async with serve(telegram_config):  # processed at start
        (message,) = await fake_telegram.wait_for("sendMessage", 1)
        assert topic(message) == 91 and str(message["chat_id"]) == str(FORUM)


async def test_a_deleted_topic_falls_back_to_general(telegram_config, serve, fake_telegram) -> None:
    fake_telegram.bad_request("sendMessage", "Bad Request: message thread not found")
    async with serve(telegram_config) as client:
        await post_all(client, [tg.text_update("/help", chat_id=FORUM, chat_type="forum", thread_id=5)])
        first, second = fake_telegram.calls_to("sendMessage")
        assert topic(first) == 5 and topic(second) is None
        assert (await outbox_rows(runtime_of(client)))[0].status == st.SENT


DEEP = b'{"update_id": 5, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


async def test_updates_that_gave_a_500_are_acknowledged(telegram_config, serve, fake_telegram, caplog) -> None:
    async with serve(telegram_config) as client:
        await post_all(client, [tg.text_update("/help", chat_id=CHAT)])  # a known chat
        sent = len(fake_telegram.calls_to("sendMessage"))
        no_message = tg.callback_update("faq", chat_id=CHAT)
        del no_message["callback_query"]["message"], no_message["callback_query"]["from"]
        not_a_string = [tg.callback_update(data, chat_id=CHAT) for data in (123, {"a": 1}, ["faq"], None, True)]
        no_new_member = tg.blocked_update(CHAT)
        del no_new_member["my_chat_member"]["new_chat_member"]
        await post_all(client, [no_message, *not_a_string, no_new_member])
        resp = await client.post("/telegram", data=DEEP, headers={**HEADERS, "Content-Type": "application/json"})
        assert resp.status == 200
        assert len(fake_telegram.calls_to("sendMessage")) == sent
        async with runtime_of(client).db.session() as s:
            assert (await s.execute(select(Contact.blocked))).scalar_one() is False
        no_errors(caplog)


async def test_a_group_upgraded_to_a_supergroup_keeps_its_contact(telegram_config, serve, fake_telegram) -> None:
    old, new = -54321, -1001234567890
    async with serve(telegram_config) as client:
        await post_all(client, [tg.text_update("/lang", chat_id=old, chat_type="group"),
                                tg.callback_update("lang:zh", chat_id=old, chat_type="group")])
        await post_all(client, [tg.service_update("migrated_to", chat_id=old, chat_type="group"),
                                tg.service_update("migrated_from", chat_id=new)])
        await post_all(client, [tg.text_update("/help", chat_id=new, chat_type="supergroup")])
        (answer,) = texts(fake_telegram, new)
        assert "帮助" in answer or "工厂" in answer  # the language chosen before the upgrade
        async with runtime_of(client).db.session() as s:
            assert len((await s.execute(select(Contact))).scalars().all()) == 1


async def test_unreachable_telegram_at_start_is_retried_while_the_rest_serves(
        channels_config, serve, fake_telegram, wechat_user, monkeypatch, caplog) -> None:
    monkeypatch.setattr(tgm_api, "CONNECT_RETRY_FIRST", 0.05)
    monkeypatch.setattr(tgm_api, "CONNECT_RETRY_MAX", 0.1)
    caplog.set_level(logging.INFO)
    fake_telegram.unreachable()
    async with serve(channels_config) as client:
        channel = client.app[tgm.TELEGRAM]
        assert "Welcome" in await wechat_user(client).say("/start")  # WeChat answers
        assert (await client.get("/staff/login")).status == 200  # the console serves
        assert (await client.get("/healthz")).status == 200
        await fake_telegram.wait_for("getMe", 3)
        assert channel.username is None and not channel.connected.is_set()
        # updates are still taken: a group command addressed to us waits (whose username is unknown) …
        await post(client, tg.text_update("/help@etp_test_bot", chat_id=GROUP, chat_type="supergroup"))
        assert (await post(client, tg.text_update("/help", chat_id=CHAT))).status == 200  # … a private one is queued
        fake_telegram.reachable()
        await asyncio.wait_for(channel.connected.wait(), 5)
        assert channel.username == "etp_test_bot"
        await client.app[K.OUTBOX].deliver_due(now=utcnow() + timedelta(days=1))
        assert "Factory Helpdesk" in texts(fake_telegram, CHAT)[0] and texts(fake_telegram, GROUP) == []
        await post_all(client, [tg.text_update("/help@etp_test_bot", chat_id=GROUP, chat_type="supergroup")])
        assert len(texts(fake_telegram, GROUP)) == 1
        no_errors(caplog)
    failures = [r for r in caplog.records if "Telegram API unreachable" in r.getMessage()]
    assert len(failures) >= 2 and all(r.exc_info is None and r.levelno == logging.WARNING for r in failures)
    # (aiohttp's records are the fake Bot API server's access log: its paths hold the token)
    assert [r.getMessage() for r in caplog.records if tg.TOKEN in r.getMessage() and r.name != "aiohttp.access"] == []


async def test_set_webhook_failures_are_one_line_without_the_token(fake_telegram, monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("TELEGRAM_API_BASE", fake_telegram.base_url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)
    command = ["telegram", "set-webhook", "https://bot.example.org/telegram"]
    wrong = "123456789:WRONG-token_0123456789abcdefghijk"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", wrong)  # the fake answers 401, as Telegram does
    assert await asyncio.to_thread(main, command) == 2
    err = capsys.readouterr().err
    assert err.strip() == "etp-bot: Telegram rejected TELEGRAM_BOT_TOKEN; nothing was registered"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", tg.TOKEN)
    fake_telegram.unreachable()
    assert await asyncio.to_thread(main, command) == 2
    err = capsys.readouterr().err
    assert "unreachable" in err and len(err.strip().splitlines()) == 1 and tg.TOKEN not in err
    fake_telegram.reachable()
    fake_telegram.bad_request("setWebhook", "Bad Request: bad webhook: Failed to resolve host")
    assert await asyncio.to_thread(main, command) == 2
    assert capsys.readouterr().err.strip().lower() == "etp-bot: telegram refused: bad webhook: failed to resolve host"


async def test_the_staff_alert_chat_can_be_a_forum_topic(telegram_config, serve, fake_telegram) -> None:
    from bot.services.outbox import enqueue

    async with serve(telegram_config) as client:
        runtime = runtime_of(client)
        async with runtime.db.session() as s:
            await enqueue(s, runtime.services.secrets, channel="telegram", destination=f"{FORUM}:42",
                          replies=[Reply("New case H-17 in the helpline queue")], kind="alert")
        await client.app[K.OUTBOX].deliver_due()
        (message,) = fake_telegram.messages_to(FORUM)
        assert topic(message) == 42
