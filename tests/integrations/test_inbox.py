"""The inbox: write first, run the dialogue exactly once per message, pick up what a crash left,
and rate-limit a flooding account without starving the others."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.core.messages import Incoming
from bot.core.models import Contact
from bot.core.models import messaging as st
from bot.core.models.messaging import InboxMessage, RateBucket
from bot.services.throttle import RateLimit
from integrations.inbox import Delivery, Inbox
from integrations.telegram.receive import make_respond
from tests.fakes import telegram as tg

from .conftest import DialogueSpy, count, outbox_rows, runtime_of


def _incoming(text: str, contact: str = "chat-1", n: int = 1) -> Incoming:
    return Incoming("telegram", contact, str(n), text=text)


async def test_concurrent_processing_of_one_message_runs_the_dialogue_once(runtime) -> None:
    spy = DialogueSpy(runtime, delay=0.2)
    inbox = Inbox(runtime, "telegram", make_respond(runtime.services.secrets))
    row_id, new = await inbox.store("1", _incoming("/help"))
    again, new_again = await inbox.store("1", _incoming("/help"))
    assert (row_id, new, new_again) == (again, True, False)
    results = await asyncio.gather(*[inbox.process(row_id) for _ in range(4)])
    assert spy.runs == 1 and sum(r.ran for r in results) == 1
    assert len(await outbox_rows(runtime)) == 1


async def test_payload_and_key_are_not_stored_in_clear(runtime) -> None:
    inbox = Inbox(runtime, "wechat", make_respond(runtime.services.secrets))
    await inbox.store("oSecretOpenId|1700000000", Incoming("wechat", "oSecretOpenId", "k", text="my secret words"))
    async with runtime.db.session() as s:
        (row,) = (await s.execute(select(InboxMessage))).scalars().all()
    stored = " ".join(str(v) for v in (row.key_hash, row.payload_enc, row.kind))
    assert "oSecretOpenId" not in stored and "secret words" not in stored


async def test_a_failing_dialogue_is_retried_then_set_aside(runtime) -> None:
    async def broken(session, incoming):
        raise RuntimeError("bug")

    runtime.dialogue.handle = broken
    inbox = Inbox(runtime, "telegram", make_respond(runtime.services.secrets))
    row_id, _ = await inbox.store("9", _incoming("hi"))
    for _attempt in range(1, 4):
        result = await inbox.process(row_id)
        assert result.failed and not result.ran
    async with runtime.db.session() as s:
        row = await s.get(InboxMessage, row_id)
        assert (row.status, row.attempts) == (st.FAILED, 3)
    assert await inbox.recover() == 0
    assert await count(runtime, Contact) == 0  # the failed transaction left nothing behind


async def test_rate_limit_answers_once_politely_then_drops(runtime, clock) -> None:
    from datetime import timedelta

    spy = DialogueSpy(runtime)
    replies: list = []

    async def respond(s, contact, out, inbox_id, passive, incoming):
        replies.append(out)
        return Delivery(st.OUTBOX)

    inbox = Inbox(runtime, "telegram", respond, rate_limit=RateLimit(limit=3, window=timedelta(minutes=1)))
    for n in range(6):
        row_id, _ = await inbox.store(str(n), _incoming("/help", n=n))
        await inbox.process(row_id)
    other, _ = await inbox.store("other", _incoming("/help", contact="chat-2", n=99))
    await inbox.process(other)
    assert spy.runs == 4  # three for the flooder, one for the other user
    assert "faster than I can answer" in replies[3][0].text
    assert replies[4] == replies[5] == []
    async with runtime.db.session() as s:
        buckets = (await s.execute(select(RateBucket))).scalars().all()
    assert len(buckets) == 2 and all("chat-" not in b.key_hash for b in buckets)


async def test_rate_limit_is_shared_by_processes(config, clock) -> None:
    from datetime import timedelta

    from bot.runtime import build_runtime
    from bot.services.throttle import Verdict

    a, b = await build_runtime(config), await build_runtime(config)
    limit = RateLimit(limit=2, window=timedelta(minutes=1))
    try:
        verdicts = []
        for rt in (a, b, a):
            async with rt.db.session() as s:
                verdicts.append(await limit.check(s, rt.services.secrets, "telegram:77", clock()))
        assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.WARN]
        async with a.db.session() as s:  # a new window
            assert await limit.check(s, a.services.secrets, "telegram:77", clock() + timedelta(minutes=2)) is Verdict.ALLOW
    finally:
        await a.close()
        await b.close()


async def test_a_message_stored_before_a_crash_is_answered_at_the_next_start(
        telegram_config, serve, fake_telegram) -> None:
    from bot.runtime import build_runtime

    # what a process that died right after the inbox write leaves behind
    crashed = await build_runtime(telegram_config)
    inbox = Inbox(crashed, "telegram", make_respond(crashed.services.secrets))
    update = tg.text_update("/help", chat_id=31337, update_id=5001)
    await inbox.store("5001", Incoming("telegram", "31337", "5001", text="/help"))
    await crashed.close()

    async with serve(telegram_config) as client:
        (message,) = await fake_telegram.wait_for("sendMessage", 1)
        assert "Factory Helpdesk" in message["text"] and str(message["chat_id"]) == "31337"
        # Telegram redelivers the same update (its 200 was never sent): nothing twice
        resp = await client.post("/telegram", json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": telegram_config.telegram_webhook_secret})
        assert resp.status == 200
        await asyncio.sleep(0.2)
        assert await count(runtime_of(client)) == 1
    async with serve(telegram_config):
        await asyncio.sleep(0.2)
    assert len(fake_telegram.calls_to("sendMessage")) == 1


async def test_a_wechat_message_left_unprocessed_is_answered_by_customer_service(
        wechat_config, serve, fake_wechat) -> None:
    from bot.runtime import build_runtime
    from integrations.wechat.receive import make_respond as wechat_respond

    crashed = await build_runtime(wechat_config)
    inbox = Inbox(crashed, "wechat", wechat_respond(crashed.services.secrets))
    await inbox.store("880001", Incoming("wechat", "oCrashUser00000000000001", "880001", text="/help"))
    await crashed.close()
    async with serve(wechat_config):
        (call,) = await fake_wechat.wait_for("/cgi-bin/message/custom/send", 1)
        assert call["touser"] == "oCrashUser00000000000001" and "Factory Helpdesk" in call["text"]["content"]


async def test_a_starting_process_leaves_a_fresh_wechat_message_to_the_process_that_stored_it(
        wechat_config, serve, fake_wechat) -> None:
    from bot.runtime import build_runtime
    from integrations.wechat.receive import make_respond as wechat_respond

    live = await build_runtime(wechat_config)  # a running process has just stored a message …
    try:
        inbox = Inbox(live, "wechat", wechat_respond(live.services.secrets))
        row_id, _ = await inbox.store("880002", Incoming("wechat", "oLiveUser000000000000001", "880002", text="/help"))
        async with serve(wechat_config):  # … when another process starts
            result = await inbox.process(row_id, passive_until=asyncio.get_running_loop().time() + 3)
    finally:
        await live.close()
    # the first process still answers in WeChat's response (not as a customer-service message,
    # which an unverified account cannot send)
    assert result.ran and result.via == st.PASSIVE and "Factory Helpdesk" in result.cached["text"]
    assert fake_wechat.calls_to("/cgi-bin/message/custom/send") == []
