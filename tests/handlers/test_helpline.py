"""The worker helpline as a worker meets it on the terminal channel (and Telegram for photos)."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.models import Conversation, OutboxMessage
from bot.core.models.cases import CaseMessage
from bot.services.references import normalize
from tests.casekit import cases_in_db, file_helpline_report, reference_in
from tests.conftest import ChatDriver


async def test_report_gets_an_unguessable_reference_and_is_stored_encrypted(chat, runtime) -> None:
    await chat.send("/helpline")
    assert "confidential" in chat.text  # the privacy notice comes before anything is asked
    assert "helpline:cat:wages" in chat.choice_ids and "helpline:cat:harassment" in chat.choice_ids
    await chat.send("1")  # the first category, typed as its number
    assert "in your own words" in chat.text
    await chat.send("No overtime pay for three months at the moulding line")
    await chat.send("Done")  # a choice typed as its label
    assert set(chat.choice_ids) == {"helpline:notify:message", "helpline:notify:check_back"}
    await chat.choose("helpline:notify:message")
    assert "No overtime pay for three months" in chat.text and "Wages and overtime" in chat.text
    await chat.choose("helpline:send")
    ref = reference_in(chat.text)
    assert ref.startswith("H-") and normalize(ref) == ref
    assert "open now" in chat.text  # 11:00 in Hong Kong on a working day

    (case,) = await cases_in_db(runtime)
    assert (case.queue, case.category, case.status, case.urgent) == ("helpline", "wages", "waiting", False)
    assert ref not in case.reference_enc and runtime.services.secrets.decrypt(case.reference_enc) == ref
    async with runtime.db.session() as s:
        (message,) = (await s.execute(select(CaseMessage))).scalars()
    assert "overtime" not in message.body_enc
    assert runtime.services.secrets.decrypt(message.body_enc) == "No overtime pay for three months at the moulding line"


async def test_several_messages_are_one_report(chat, runtime) -> None:
    await chat.send("/helpline")
    await chat.choose("helpline:cat:hours")
    await chat.send("We work 13 hours a day.")
    await chat.send("Sundays too, since March.")
    await chat.choose("helpline:done")
    await chat.choose("helpline:notify:check_back")
    await chat.choose("helpline:send")
    (case,) = await cases_in_db(runtime)
    async with runtime.db.session() as s:
        (message,) = (await s.execute(select(CaseMessage))).scalars()
    assert runtime.services.secrets.decrypt(message.body_enc) == "We work 13 hours a day.\n\nSundays too, since March."
    assert case.contact_id is None  # checking back: the case is linked to no chat account
    assert "No message will be sent to you" in chat.text


async def test_words_typed_before_the_category_are_kept(chat, runtime) -> None:
    await chat.send("/helpline")
    await chat.send("my contract was never given to me")
    assert "I kept what you wrote" in chat.text
    await chat.choose("helpline:cat:contract")
    await chat.choose("helpline:done")
    await chat.choose("helpline:notify:message")
    assert "my contract was never given to me" in chat.text


async def test_urgent_words_answer_at_once_and_put_the_case_first(chat, runtime) -> None:
    kb = runtime.services.kb
    await file_helpline_report(chat, "overtime not paid")
    await chat.send("/helpline")
    await chat.choose("helpline:cat:safety")
    await chat.send("The supervisor beat me and we are locked in the dormitory")
    assert kb.emergency_text("en") in chat.text  # at once, before the report is even sent
    assert kb.facts.contacts.helpline.phone in chat.text
    await chat.choose("helpline:done")
    await chat.choose("helpline:notify:message")
    await chat.choose("helpline:send")
    assert "urgent" in chat.text
    first, second = await cases_in_db(runtime)
    assert (first.urgent, second.urgent) == (False, True)


async def test_chinese_urgent_words(runtime) -> None:
    chat = ChatDriver(runtime, contact="zh-worker")
    await chat.send("工人热线")
    assert "保密" in chat.text
    await chat.choose("helpline:cat:safety")
    await chat.send("车间着火了，我们出不去")
    assert runtime.services.kb.emergency_text("zh") in chat.text


async def test_outside_hours_the_acknowledgement_says_when(chat, clock) -> None:
    clock.now = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Hong Kong
    await file_helpline_report(chat, "unpaid wages")
    assert "closed now" in chat.text and "09:00 on Tue 3 Mar" in chat.text


async def test_before_opening_the_answer_comes_the_same_morning(chat, clock) -> None:
    clock.now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 07:00 on 3 March in Hong Kong
    await file_helpline_report(chat, "unpaid wages")
    assert "09:00 on Tue 3 Mar" in chat.text


async def test_closed_over_chinese_new_year(chat, clock, runtime) -> None:
    clock.now = datetime(2024, 2, 12, 4, 0, tzinfo=UTC)  # noon, in the 2024 closure
    closure = runtime.services.kb.helpline_closures[0]
    await file_helpline_report(chat, "unpaid wages")
    reopens = closure.end + timedelta(days=1)
    assert "Chinese New Year" in chat.text and f"{reopens.day} {reopens:%b}" in chat.text


async def test_a_group_chat_gets_a_pointer_and_nothing_is_kept(chat, runtime) -> None:
    await chat.send("/helpline", private=False)
    assert "private chat" in chat.text and not chat.choice_ids
    async with runtime.db.session() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
    assert conv.flow is None


async def test_cancel_deletes_the_draft(chat, runtime) -> None:
    await chat.send("/helpline")
    await chat.choose("helpline:cat:wages")
    await chat.send("a draft that I regret")
    await chat.send("/cancel")
    assert "Nothing was sent" in chat.text
    async with runtime.db.session() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
    assert conv.flow is None and conv.data_enc is None
    assert await cases_in_db(runtime) == []


async def test_a_draft_expires_after_24_hours(chat, clock, runtime) -> None:
    await chat.send("/helpline")
    await chat.choose("helpline:cat:wages")
    await chat.send("half a story")
    clock.advance(timedelta(hours=25))
    await chat.send("/menu")
    assert "expired" in chat.text
    assert await cases_in_db(runtime) == []


async def test_photos_on_telegram_are_kept_with_the_case(runtime) -> None:
    chat = ChatDriver(runtime, channel="telegram", contact="777000")
    await chat.send("/helpline")
    await chat.choose("helpline:cat:safety")
    assert "photos" in chat.text
    await chat.send(kind="image", extra={"file_id": "AgACAgIAAxkBAAIB"})
    assert "Photo received" in chat.text
    await chat.send("No guard on the press machine")
    await chat.choose("helpline:done")
    await chat.choose("helpline:notify:message")
    await chat.choose("helpline:send")
    async with runtime.db.session() as s:
        (message,) = (await s.execute(select(CaseMessage))).scalars()
    assert "AgACAgIAAxkBAAIB" not in message.attachments_enc
    assert runtime.services.secrets.decrypt_json(message.attachments_enc) == [
        {"channel": "telegram", "file_id": "AgACAgIAAxkBAAIB"}]


async def test_the_terminal_says_photos_cannot_be_sent(chat) -> None:
    await chat.send("/helpline")
    await chat.choose("helpline:cat:safety")
    assert "photos" not in chat.text
    await chat.send(kind="image", extra={"path": "x.jpg"})
    assert "cannot be sent" in chat.text


async def test_staff_are_alerted_with_case_number_and_queue_only_never_the_receipt(runtime) -> None:
    from dataclasses import replace

    runtime.services.config = replace(runtime.services.config, staff_alert_telegram_chat="-100200300",
                                      telegram_bot_token="123:ABC")
    chat = ChatDriver(runtime, contact="worker-9")
    ref = await file_helpline_report(chat, "the canteen food made us ill")
    async with runtime.db.session() as s:
        (alert,) = (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "alert"))).scalars()
    secrets = runtime.services.secrets
    assert alert.channel == "telegram" and secrets.decrypt(alert.destination_enc) == "-100200300"
    (body,) = secrets.decrypt_json(alert.body_enc)
    (case,) = await cases_in_db(runtime)
    assert body["text"] == f"New helpline case H-{case.id}"
    assert ref not in body["text"] and ref.replace("-", "") not in body["text"]
    # the case number gives no access from a chat: it is a wrong receipt, and counted as one
    intruder = ChatDriver(runtime, contact="intruder")
    await intruder.send(f"/case H-{case.id}")
    assert "No case has this reference" in intruder.text and "canteen" not in intruder.text


async def test_no_alert_is_queued_when_telegram_is_off(chat, runtime) -> None:
    from dataclasses import replace

    runtime.services.config = replace(runtime.services.config, staff_alert_telegram_chat="-100200300")
    await file_helpline_report(chat, "wages")
    async with runtime.db.session() as s:
        assert (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "alert"))).first() is None


@pytest.mark.parametrize("media_later", [True, False])
async def test_photos_are_offered_by_what_the_channel_can_fetch(runtime, media_later) -> None:
    """The dialogue asks the message (`Incoming.media_later`), not a list of channel names."""
    chat = ChatDriver(runtime, channel="newchannel", contact="someone", media_later=media_later)
    await chat.send("/helpline")
    await chat.choose("helpline:cat:safety")
    assert ("photos" in chat.text) is media_later


async def test_a_worker_can_rewrite_the_message_at_the_review(chat, runtime) -> None:
    await chat.send("/helpline")
    await chat.choose("helpline:cat:wages")
    await chat.send("wrong text sent by mistake")
    await chat.choose("helpline:done")
    await chat.choose("helpline:notify:message")
    await chat.choose("helpline:change")
    await chat.choose("helpline:fix:message")
    await chat.send("No overtime pay since March")
    await chat.choose("helpline:done")
    assert "No overtime pay since March" in chat.text and "by mistake" not in chat.text
    assert "helpline:send" in chat.choice_ids
    await chat.choose("helpline:send")
    async with runtime.db.session() as s:
        (message,) = (await s.execute(select(CaseMessage))).scalars()
    assert runtime.services.secrets.decrypt(message.body_enc) == "No overtime pay since March"
